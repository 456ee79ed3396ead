/** Line diff between two versions: unified text for humans, structured hunks with word detail for UIs. */
import { diffWordsWithSpace, FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';

export type LineOp = ' ' | '+' | '-';
export type WordPart = { op: LineOp; text: string };
export type HunkLine = {
  op: LineOp;
  /** The line without its line terminator. */
  text: string;
  /** Set on the file's last line when it has no trailing newline. */
  noNewline?: true;
  /** Word-level changes, only on a removed line paired with an added line of the same hunk. */
  words?: WordPart[];
};
export type Hunk = { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: HunkLine[] };
export type DiffResult = { unified: string; hunks: Hunk[]; stats: { additions: number; deletions: number } };
export type DiffOptions = { context?: number; aLabel?: string; bLabel?: string };

const NO_NEWLINE_MARKER = '\\';

function toHunkLines(raw: readonly string[]): HunkLine[] {
  const lines: HunkLine[] = [];
  for (const entry of raw) {
    if (entry.startsWith(NO_NEWLINE_MARKER)) {
      const last = lines[lines.length - 1];
      if (last) last.noNewline = true;
      continue;
    }
    lines.push({ op: entry[0] as LineOp, text: entry.slice(1) });
  }
  return lines;
}

// Pairs the i-th removed line with the i-th added line of each change block: in prompt edits a block
// usually rewrites lines in place, so this lines up the words a reader expects to compare.
function addWordDetail(lines: HunkLine[]): void {
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.op !== '-') {
      i++;
      continue;
    }
    const delStart = i;
    while (i < lines.length && lines[i]!.op === '-') i++;
    const addStart = i;
    while (i < lines.length && lines[i]!.op === '+') i++;
    const pairs = Math.min(addStart - delStart, i - addStart);
    for (let k = 0; k < pairs; k++) {
      const removed = lines[delStart + k]!;
      const added = lines[addStart + k]!;
      const parts = diffWordsWithSpace(removed.text, added.text);
      removed.words = parts.filter((p) => !p.added).map((p) => ({ op: p.removed ? '-' : ' ', text: p.value }));
      added.words = parts.filter((p) => !p.removed).map((p) => ({ op: p.added ? '+' : ' ', text: p.value }));
    }
  }
}

export function diffTexts(a: string, b: string, opts: DiffOptions = {}): DiffResult {
  const aLabel = opts.aLabel ?? 'a';
  const bLabel = opts.bLabel ?? 'b';
  const patch = structuredPatch(aLabel, bLabel, a, b, undefined, undefined, { context: opts.context ?? 3 });
  const hunks: Hunk[] = patch.hunks.map((h) => {
    const lines = toHunkLines(h.lines);
    addWordDetail(lines);
    return { oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines };
  });
  let additions = 0;
  let deletions = 0;
  for (const line of hunks.flatMap((h) => h.lines)) {
    if (line.op === '+') additions++;
    else if (line.op === '-') deletions++;
  }
  // An empty string for "no change" lets callers test `unified === ''` instead of parsing headers.
  const unified = hunks.length === 0 ? '' : formatPatch(patch, FILE_HEADERS_ONLY);
  return { unified, hunks, stats: { additions, deletions } };
}
