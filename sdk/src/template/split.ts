import { TemplateError } from './errors.js';

export interface SplitDocument {
  /** YAML between the delimiters, or null when the document has no front matter. */
  yaml: string | null;
  /** Document line on which the YAML starts. */
  yamlStartLine: number;
  body: string;
  bodyStartLine: number;
}

const DELIMITER = /^---[ \t]*\r?$/;

export function splitDocument(text: string): SplitDocument {
  const firstEnd = text.indexOf('\n');
  const firstLine = firstEnd === -1 ? text : text.slice(0, firstEnd);
  if (!DELIMITER.test(firstLine)) {
    return { yaml: null, yamlStartLine: 1, body: text, bodyStartLine: 1 };
  }
  let line = 2;
  let start = firstEnd === -1 ? text.length : firstEnd + 1;
  while (firstEnd !== -1 && start <= text.length) {
    const end = text.indexOf('\n', start);
    const current = end === -1 ? text.slice(start) : text.slice(start, end);
    if (DELIMITER.test(current)) {
      return {
        yaml: text.slice(firstEnd + 1, start),
        yamlStartLine: 2,
        body: end === -1 ? '' : text.slice(end + 1),
        bodyStartLine: line + 1,
      };
    }
    if (end === -1) break;
    start = end + 1;
    line += 1;
  }
  throw new TemplateError('invalid_front_matter', 'Front matter opened with "---" on line 1 is never closed by a "---" line', {
    line: 1,
    column: 1,
  });
}
