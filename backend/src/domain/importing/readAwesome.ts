import { TagName, Text } from '@rocqet/sdk';
import { fail } from '../errors.js';
import { parseCsv } from './csv.js';
import { checkPromptFields, checkVersion, skip, type FieldNames, type Skip } from './rules.js';

export interface AwesomeRow {
  line: number;
  title: string;
  content: string;
  message: string;
  tags: string[];
}

export interface AwesomeRead {
  rows: AwesomeRow[];
  skipped: Skip[];
}

const COLUMNS: Record<string, string> = { title: 'act', content: 'prompt', tags: 'type' };
const columnOf: FieldNames = (path) => COLUMNS[String(path[0])] ?? String(path[0]);

/**
 * Reads the awesome-chatgpt-prompts CSV (act, prompt, for_devs, type, contributor) into rows that pass the API's
 * rules for a new prompt; every other row is in `skipped` with its line, column and reason. Writes nothing.
 */
export function readAwesomeCsv(text: string): AwesomeRead {
  const [header, ...rows] = parseCsv(text);
  const columns = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const at = (name: string) => columns.indexOf(name);
  const [act, prompt, forDevs, type] = [at('act'), at('prompt'), at('for_devs'), at('type')];
  if (act < 0 || prompt < 0) fail('import_invalid', 'the CSV needs "act" and "prompt" columns');
  const out: AwesomeRead = { rows: [], skipped: [] };
  for (const { line, fields } of rows) {
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    const item = `line ${line}`;
    if (fields.length !== columns.length) {
      out.skipped.push({ item, reason: `has ${fields.length} fields, the header has ${columns.length}` });
      continue;
    }
    const title = (fields[act] ?? '').replace(/\s+/g, ' ').trim();
    const content = (fields[prompt] ?? '').trim();
    if (!title) {
      out.skipped.push({ item, field: 'act', reason: 'empty title (act)' });
      continue;
    }
    const named = `${item} "${title.slice(0, 80)}"`;
    if (!content) {
      out.skipped.push({ item: named, field: 'prompt', reason: 'empty prompt' });
      continue;
    }
    // The type is a category: it becomes a tag when it is a valid tag name, and is left out otherwise.
    const tags = new Set<string>();
    const typeText = type >= 0 ? Text.safeParse(fields[type] ?? '') : undefined;
    if (typeText && !typeText.success) {
      // Not a category that is merely no tag name: text no field can store (a lone surrogate, NUL).
      out.skipped.push({ item: named, field: 'type', reason: typeText.error.issues[0]?.message ?? 'invalid text' });
      continue;
    }
    const kind = type >= 0 ? TagName.safeParse(fields[type] ?? '') : undefined;
    if (kind?.success) tags.add(kind.data);
    if (forDevs >= 0 && /^(true|yes|1)$/i.test((fields[forDevs] ?? '').trim())) tags.add('dev');
    const fieldsChecked = checkPromptFields({ title, description: '', tags: [...tags] }, columnOf);
    if (!fieldsChecked.ok) {
      out.skipped.push(skip(named, fieldsChecked.refusal));
      continue;
    }
    const message = `Import from awesome-chatgpt-prompts (line ${line})`;
    const version = checkVersion({ content, message }, columnOf);
    if (!version.ok) {
      out.skipped.push(skip(named, version.refusal));
      continue;
    }
    out.rows.push({ line, title: fieldsChecked.value.title, content: version.value.content, message, tags: fieldsChecked.value.tags });
  }
  return out;
}
