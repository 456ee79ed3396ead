// Generators for prompt-like texts and the kinds of edits people make to them.
import fc from 'fast-check';

const word = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('the', 'you', 'output', 'INPUT', 'bullet', 'summary', 'steps', 'words', 'markdown', 'format', '{{topic}}', '-', '#', '1.') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !/[\s]/.test(s)) },
  { weight: 1, arbitrary: fc.constantFrom('🚀', 'naïve', '日本語', 'e\u0301', '👩‍💻') },
);

export const line = fc.array(word, { minLength: 1, maxLength: 12 }).map((ws) => ws.join(' '));

/** Markdown-ish prompt: lines of words and blank lines, LF or CRLF, with or without a final newline. */
export const promptText = fc
  .record({
    lines: fc.array(fc.oneof({ weight: 5, arbitrary: line }, { weight: 1, arbitrary: fc.constant('') }), { maxLength: 40 }),
    crlf: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .map(({ lines, crlf, finalNewline }) => {
    const eol = crlf ? '\r\n' : '\n';
    return lines.join(eol) + (finalNewline && lines.length > 0 ? eol : '');
  });

export type Edit =
  | { kind: 'replaceWord'; at: number; text: string }
  | { kind: 'insertLines'; at: number; lines: string[] }
  | { kind: 'deleteLines'; at: number; count: number }
  | { kind: 'replaceLine'; at: number; text: string }
  | { kind: 'append'; text: string }
  | { kind: 'rewrite'; text: string };

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replaceWord' as const), at: fc.nat(), text: word }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insertLines' as const), at: fc.nat(), lines: fc.array(line, { minLength: 1, maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteLines' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replaceLine' as const), at: fc.nat(), text: line }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), text: fc.string({ unit: 'binary', maxLength: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rewrite' as const), text: promptText }) },
);

export function applyEdit(text: string, e: Edit): string {
  if (e.kind === 'append') return text + e.text;
  if (e.kind === 'rewrite') return e.text;
  const lines = text.split('\n');
  const at = e.at % (lines.length + (e.kind === 'insertLines' ? 1 : 0));
  switch (e.kind) {
    case 'replaceWord': {
      const words = lines[at]!.split(' ');
      words[Math.floor(e.at / 7) % words.length] = e.text;
      lines[at] = words.join(' ');
      break;
    }
    case 'insertLines':
      lines.splice(at, 0, ...e.lines);
      break;
    case 'deleteLines':
      lines.splice(at, e.count);
      break;
    case 'replaceLine':
      lines[at] = e.text;
      break;
  }
  return lines.join('\n');
}

/** A starting text and the successive versions produced by a run of edits. */
export const editHistory = fc
  .tuple(promptText, fc.array(edit, { minLength: 1, maxLength: 25 }))
  .map(([start, edits]) => edits.reduce<string[]>((versions, e) => [...versions, applyEdit(versions[versions.length - 1]!, e)], [start]));
