import { stringify } from 'yaml';
import { parseFrontMatter } from './front-matter.js';
import type { FrontMatter } from './types.js';

export type FrontMatterInput = Partial<FrontMatter>;

const FIELDS = new Set(['description', 'model', 'parameters', 'variables']);
const OPENS_FRONT_MATTER = /^\uFEFF|^---[ \t]*\r?(\n|$)/;

/**
 * Writes a document that `parsePrompt` reads back as the same front matter and body.
 * Throws TemplateError (invalid_front_matter) when the front matter would not be accepted on the way back in.
 */
export function serializePrompt(frontMatter: FrontMatterInput, body: string): string {
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const data = toYamlData(frontMatter);
  if (data === null) {
    // Without a block, a body that itself starts like front matter (or with a BOM) would be misread.
    return OPENS_FRONT_MATTER.test(body) ? `---${eol}---${eol}${body}` : body;
  }
  const yaml = stringify(data, { lineWidth: 0, aliasDuplicateObjects: false });
  parseFrontMatter(yaml, 2);
  const block = eol === '\n' ? yaml : yaml.replace(/\n/g, eol);
  return `---${eol}${block}---${eol}${body}`;
}

function toYamlData(fm: FrontMatterInput): Record<string, unknown> | null {
  const data: Record<string, unknown> = {};
  if (fm.description !== undefined) data['description'] = fm.description;
  if (fm.model !== undefined) data['model'] = fm.model;
  if (fm.parameters !== undefined) data['parameters'] = fm.parameters;
  if (fm.variables && Object.keys(fm.variables).length > 0) data['variables'] = fm.variables;
  for (const [key, value] of Object.entries(fm.extra ?? {})) {
    if (FIELDS.has(key)) {
      throw new TypeError(`extra key "${key}" would clash with the front matter field of the same name`);
    }
    Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return Object.keys(data).length > 0 ? data : null;
}
