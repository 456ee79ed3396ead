import { NAME_PATTERN, type Placeholder, type TemplateWarning } from './types.js';

export type BodyToken =
  | { kind: 'text'; text: string }
  | { kind: 'placeholder'; name: string; raw: string };

export interface ScannedBody {
  tokens: BodyToken[];
  placeholders: Placeholder[];
  warnings: TemplateWarning[];
}

const PLACEHOLDER = new RegExp(`\\{\\{[ \\t]*(${NAME_PATTERN})[ \\t]*\\}\\}`, 'y');
const SNIPPET_LIMIT = 60;
const LOOKAHEAD = 200;

/**
 * Splits a body into literal text (escapes already resolved) and placeholders. Only the last `{{` of a run of
 * braces can open a placeholder, so `{{{x}}}` keeps its outer braces around the value, as a reader would expect.
 */
export function scanBody(body: string, startLine: number): ScannedBody {
  const tokens: BodyToken[] = [];
  const placeholders: Placeholder[] = [];
  const warnings: TemplateWarning[] = [];
  let line = startLine;
  let lineStart = 0;
  let counted = 0;
  const positionOf = (offset: number) => {
    for (let i = body.indexOf('\n', counted); i !== -1 && i < offset; i = body.indexOf('\n', i + 1)) {
      line += 1;
      lineStart = i + 1;
    }
    counted = offset;
    return { line, column: offset - lineStart + 1 };
  };
  let pending = '';
  let from = 0;
  let i = 0;
  for (let j = body.indexOf('{{', i); j !== -1; j = body.indexOf('{{', i)) {
    if (j > from && body[j - 1] === '\\') {
      pending += body.slice(from, j - 1) + '{{';
      from = i = j + 2;
      continue;
    }
    if (body[j + 2] === '{') {
      i = j + 1;
      continue;
    }
    PLACEHOLDER.lastIndex = j;
    const match = PLACEHOLDER.exec(body);
    const name = match?.[1];
    if (match && name !== undefined) {
      pending += body.slice(from, j);
      if (pending) tokens.push({ kind: 'text', text: pending });
      pending = '';
      tokens.push({ kind: 'placeholder', name, raw: match[0] });
      placeholders.push({ name, ...positionOf(j) });
      from = i = j + match[0].length;
      continue;
    }
    warnings.push({ message: describeNonPlaceholder(body, j), ...positionOf(j) });
    i = j + 2;
  }
  pending += body.slice(from);
  if (pending) tokens.push({ kind: 'text', text: pending });
  return { tokens, placeholders, warnings };
}

function describeNonPlaceholder(body: string, at: number): string {
  // Looking only a short way ahead keeps a body full of stray "{{" linear to scan.
  const ahead = body.slice(at, at + LOOKAHEAD);
  const lineEnd = ahead.indexOf('\n');
  const line = lineEnd === -1 ? ahead : ahead.slice(0, lineEnd);
  const close = line.indexOf('}}', 2);
  if (close === -1) {
    return '"{{" is not closed by "}}" on the same line; kept as literal text (write \\{{ for a literal "{{")';
  }
  let snippet = line.slice(0, close + 2);
  if (snippet.length > SNIPPET_LIMIT) snippet = `${snippet.slice(0, SNIPPET_LIMIT - 3)}...`;
  return `"${snippet}" is not a valid placeholder (names match ${NAME_PATTERN}); kept as literal text`;
}
