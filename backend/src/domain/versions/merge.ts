/**
 * Line-based three-way merge (diff3): regions where base, ours and theirs agree are stable; between
 * them, whichever side changed wins, identical changes collapse, and anything else is a conflict.
 */
import { diffArrays } from 'diff';

export type ConflictHunk = {
  /** 1-based base line where the conflicting region starts (for a pure insertion: the line it precedes). */
  baseStart: number;
  baseLines: string[];
  ours: string[];
  theirs: string[];
};
export type MergeResult =
  | { clean: true; text: string }
  | { clean: false; conflicts: ConflictHunk[]; textWithMarkers: string };
export type MergeOptions = { oursLabel?: string; theirsLabel?: string; baseLabel?: string; showBase?: boolean };

type Lines = { lines: string[]; noFinalNewline: boolean };

// The missing final newline is tracked as a flag instead of as part of the last line; otherwise
// appending a line would also "change" the old last line and collide with any edit just above it.
function splitLines(text: string): Lines {
  if (text === '') return { lines: [], noFinalNewline: false };
  const noFinalNewline = !text.endsWith('\n');
  const lines = text.split('\n');
  if (!noFinalNewline) lines.pop();
  return { lines, noFinalNewline };
}

function joinLines(lines: readonly string[], noFinalNewline: boolean): string {
  if (lines.length === 0) return '';
  const text = lines.join('\n');
  return noFinalNewline ? text : `${text}\n`;
}

/** For each base line, its index in `other` when the diff keeps it, else -1. */
function keptLines(base: readonly string[], other: readonly string[]): Int32Array {
  const kept = new Int32Array(base.length).fill(-1);
  let b = 0;
  let o = 0;
  for (const part of diffArrays(base as string[], other as string[])) {
    const n = part.count ?? part.value.length;
    if (part.added) o += n;
    else if (part.removed) b += n;
    else for (let k = 0; k < n; k++) kept[b++] = o++;
  }
  return kept;
}

const sameLines = (x: readonly string[], y: readonly string[]): boolean =>
  x.length === y.length && x.every((line, i) => line === y[i]);

type Chunk = { kind: 'clean'; lines: string[] } | { kind: 'conflict'; hunk: ConflictHunk };

function mergeChunks(base: readonly string[], ours: readonly string[], theirs: readonly string[]): Chunk[] {
  const inOurs = keptLines(base, ours);
  const inTheirs = keptLines(base, theirs);
  const chunks: Chunk[] = [];
  let o = 0;
  let a = 0;
  let t = 0;
  while (o < base.length || a < ours.length || t < theirs.length) {
    if (o < base.length && inOurs[o] === a && inTheirs[o] === t) {
      chunks.push({ kind: 'clean', lines: [base[o]!] });
      o++;
      a++;
      t++;
      continue;
    }
    // The unstable region runs up to the next base line both sides kept.
    let next = o;
    while (next < base.length && (inOurs[next]! < 0 || inTheirs[next]! < 0)) next++;
    const aEnd = next < base.length ? inOurs[next]! : ours.length;
    const tEnd = next < base.length ? inTheirs[next]! : theirs.length;
    const baseLines = base.slice(o, next);
    const oursLines = ours.slice(a, aEnd);
    const theirsLines = theirs.slice(t, tEnd);
    if (sameLines(oursLines, baseLines)) chunks.push({ kind: 'clean', lines: theirsLines });
    else if (sameLines(theirsLines, baseLines) || sameLines(oursLines, theirsLines)) chunks.push({ kind: 'clean', lines: oursLines });
    else chunks.push(...conflictChunks(o + 1, baseLines, oursLines, theirsLines));
    o = next;
    a = aEnd;
    t = tEnd;
  }
  return chunks;
}

// Lines both sides added identically at the edges of a conflict are not in dispute; moving them out
// keeps the hunk shown to the user as small as possible.
function conflictChunks(baseStart: number, baseLines: string[], ours: string[], theirs: string[]): Chunk[] {
  let head = 0;
  while (head < ours.length && head < theirs.length && ours[head] === theirs[head]) head++;
  let tail = 0;
  while (
    tail < ours.length - head &&
    tail < theirs.length - head &&
    ours[ours.length - 1 - tail] === theirs[theirs.length - 1 - tail]
  ) tail++;
  const hunk: ConflictHunk = {
    baseStart,
    baseLines,
    ours: ours.slice(head, ours.length - tail),
    theirs: theirs.slice(head, theirs.length - tail),
  };
  return [
    { kind: 'clean', lines: ours.slice(0, head) },
    { kind: 'conflict', hunk },
    { kind: 'clean', lines: ours.slice(ours.length - tail) },
  ];
}

export function mergeTexts(base: string, ours: string, theirs: string, opts: MergeOptions = {}): MergeResult {
  const b = splitLines(base);
  const o = splitLines(ours);
  const t = splitLines(theirs);
  // The flag has two values, so this three-way choice can never conflict.
  const noFinalNewline = o.noFinalNewline === b.noFinalNewline ? t.noFinalNewline : o.noFinalNewline;
  const chunks = mergeChunks(b.lines, o.lines, t.lines);
  const conflicts = chunks.flatMap((c) => (c.kind === 'conflict' ? [c.hunk] : []));
  if (conflicts.length === 0) {
    return { clean: true, text: joinLines(chunks.flatMap((c) => (c.kind === 'clean' ? c.lines : [])), noFinalNewline) };
  }
  const out: string[] = [];
  for (const c of chunks) {
    if (c.kind === 'clean') {
      out.push(...c.lines);
      continue;
    }
    out.push(`<<<<<<< ${opts.oursLabel ?? 'ours'}`, ...c.hunk.ours);
    if (opts.showBase) out.push(`||||||| ${opts.baseLabel ?? 'base'}`, ...c.hunk.baseLines);
    out.push('=======', ...c.hunk.theirs, `>>>>>>> ${opts.theirsLabel ?? 'theirs'}`);
  }
  return { clean: false, conflicts, textWithMarkers: joinLines(out, noFinalNewline) };
}

/**
 * The three-way merge with every conflict settled for `ours`: the non-conflicting changes of `theirs` come in, and
 * nothing of `ours` is lost. What a live draft does with a commit made elsewhere (its editors' pending edits win).
 */
export function mergeTextsKeepingOurs(base: string, ours: string, theirs: string): string {
  const b = splitLines(base);
  const o = splitLines(ours);
  const t = splitLines(theirs);
  const noFinalNewline = o.noFinalNewline === b.noFinalNewline ? t.noFinalNewline : o.noFinalNewline;
  const lines = mergeChunks(b.lines, o.lines, t.lines).flatMap((c) => (c.kind === 'clean' ? c.lines : c.hunk.ours));
  return joinLines(lines, noFinalNewline);
}
