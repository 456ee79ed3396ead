import { z } from 'zod';
import { slugify } from '../prompts/slug.js';
import { checkPromptFields, checkVersion, skip, type Skip, type Version } from './rules.js';

const FabricLine = z.object({
  name: z.string(),
  versions: z.array(z.object({ commit: z.string().optional(), date: z.string(), message: z.string(), content: z.string() })).min(1),
});

export interface FabricEntry {
  line: number;
  name: string;
  slug: string;
  /** Oldest first; consecutive identical texts already collapsed to the first of them. */
  versions: Version[];
}

export interface FabricRead {
  entries: FabricEntry[];
  skipped: Skip[];
}

/**
 * Reads fabric-style histories, one JSON line per prompt ({name, versions: [{date, message, content}]}), keeping the
 * lines whose name passes the API's rules for a title and whose every version passes its rules for a commit (with a
 * date the database can store). Every other line is in `skipped` with its line, field and reason. Writes nothing.
 */
export function readFabricJsonl(text: string): FabricRead {
  const out: FabricRead = { entries: [], skipped: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    const item = `line ${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      out.skipped.push({ item, reason: 'not valid JSON' });
      continue;
    }
    const shape = FabricLine.safeParse(json);
    if (!shape.success) {
      out.skipped.push({ item, reason: 'not a {name, versions} object' });
      continue;
    }
    const { name, versions } = shape.data;
    const named = `${item} "${name.slice(0, 80)}"`;
    const fields = checkPromptFields({ title: name, description: '', tags: [] }, () => 'name');
    if (!fields.ok) {
      out.skipped.push(skip(named, fields.refusal));
      continue;
    }
    const title = fields.value.title;
    const kept: Version[] = [];
    let refusal;
    for (const [n, v] of versions.entries()) {
      if (n > 0 && versions[n - 1]!.content === v.content) continue;
      const message = v.message || (n === 0 ? `Import ${title}` : 'Update');
      const names = (path: (string | number)[]) => `versions.${n}.${path[0] === 'createdAt' ? 'date' : path.join('.')}`;
      const checked = checkVersion({ content: v.content, message, createdAt: v.date }, names);
      if (!checked.ok) {
        refusal = checked.refusal;
        break;
      }
      kept.push(checked.value);
    }
    if (refusal) out.skipped.push(skip(named, refusal));
    else out.entries.push({ line: i + 1, name: title, slug: slugify(title), versions: kept });
  }
  return out;
}
