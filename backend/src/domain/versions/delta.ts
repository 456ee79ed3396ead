/**
 * Binary copy/insert delta over UTF-8 bytes (xdelta-like, greedy matching through a hash index of the base).
 *
 * Layout (before any compression, which the storage layer adds):
 *   varint baseLength, varint targetLength, varint opsLength, ops…, literals…
 *   op = varint(len * 2 + 1), varint(zigzag(copyStart - cursor))   copy `len` base bytes
 *      | varint(len * 2)                                            take the next `len` literal bytes
 * `cursor` is where the previous copy ended in the base, so an untouched region after an edit costs ~2 bytes.
 * Literals sit after the ops rather than interleaved: measured on the fabric histories, that compresses better.
 */
import { toUtf8 } from './utf8.js';
import { readVarint, unzigzag, writeVarint, zigzag, type Reader } from './varint.js';

// Seed and minimum copy of 8 bytes: shorter copies cost about as much as the literal once compressed;
// longer seeds miss small unchanged stretches between nearby word edits (measured, see storage test).
const SEED = 8;
const MIN_COPY = 8;
// Bounds the work per target position on repetitive text; more candidates gained nothing on real prompts.
const MAX_CANDIDATES = 32;

export function encodeDelta(base: string, target: string): Buffer {
  return encodeDeltaBytes(toUtf8(base), toUtf8(target));
}

export function applyDelta(base: string, delta: Buffer): string {
  return applyDeltaBytes(toUtf8(base), delta).toString('utf8');
}

type Index = { head: Int32Array; prev: Int32Array; shift: number };

function seedHash(bytes: Uint8Array, at: number, shift: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < SEED; k++) h = Math.imul(h ^ bytes[at + k]!, 0x01000193);
  return Math.imul(h, 0x9e3779b1) >>> shift;
}

function indexBase(base: Uint8Array): Index {
  const bits = Math.min(24, Math.max(10, Math.ceil(Math.log2(base.length + 1))));
  const shift = 32 - bits;
  const head = new Int32Array(1 << bits).fill(-1);
  const prev = new Int32Array(Math.max(1, base.length));
  // Inserted in ascending order so each chain walks from the latest occurrence backwards.
  for (let j = 0; j + SEED <= base.length; j++) {
    const h = seedHash(base, j, shift);
    prev[j] = head[h]!;
    head[h] = j;
  }
  return { head, prev, shift };
}

function matchLength(base: Uint8Array, from: number, target: Uint8Array, at: number): number {
  let n = 0;
  while (at + n < target.length && from + n < base.length && target[at + n] === base[from + n]) n++;
  return n;
}

export function encodeDeltaBytes(base: Uint8Array, target: Uint8Array): Buffer {
  const index = indexBase(base);
  const ops: number[] = [];
  const literals: Uint8Array[] = [];
  let cursor = 0;
  let literalStart = 0;
  let i = 0;

  const flushLiteral = (end: number): void => {
    if (end <= literalStart) return;
    writeVarint(ops, (end - literalStart) * 2);
    literals.push(target.subarray(literalStart, end));
  };

  while (i + SEED <= target.length) {
    // The spot right after the last copy is tried first: after a pure insertion the text resumes there.
    let bestStart = cursor;
    let bestLen = matchLength(base, cursor, target, i);
    let candidate = index.head[seedHash(target, i, index.shift)]!;
    for (let steps = 0; candidate >= 0 && steps < MAX_CANDIDATES; steps++) {
      const len = matchLength(base, candidate, target, i);
      // On ties prefer the candidate nearest the cursor: its offset encodes in fewer bytes.
      if (len > bestLen || (len === bestLen && Math.abs(candidate - cursor) < Math.abs(bestStart - cursor))) {
        bestStart = candidate;
        bestLen = len;
      }
      candidate = index.prev[candidate]!;
    }
    if (bestLen < MIN_COPY) {
      i++;
      continue;
    }
    // Grow the copy backwards over literal bytes the seed alignment skipped.
    while (i > literalStart && bestStart > 0 && target[i - 1] === base[bestStart - 1]) {
      i--;
      bestStart--;
      bestLen++;
    }
    flushLiteral(i);
    writeVarint(ops, bestLen * 2 + 1);
    writeVarint(ops, zigzag(bestStart - cursor));
    cursor = bestStart + bestLen;
    i += bestLen;
    literalStart = i;
  }
  flushLiteral(target.length);

  const header: number[] = [];
  writeVarint(header, base.length);
  writeVarint(header, target.length);
  writeVarint(header, ops.length);
  return Buffer.concat([Buffer.from(header), Buffer.from(ops), ...literals]);
}

export function applyDeltaBytes(base: Uint8Array, delta: Uint8Array): Buffer {
  const r: Reader = { buf: delta, pos: 0, end: delta.length };
  const baseLength = readVarint(r);
  if (baseLength !== base.length) throw new RangeError('delta was made against a different base');
  const targetLength = readVarint(r);
  const opsLength = readVarint(r);
  const ops: Reader = { buf: delta, pos: r.pos, end: r.pos + opsLength };
  if (ops.end > delta.length) throw new RangeError('corrupt delta: ops overrun');
  let literal = ops.end;
  const out = Buffer.allocUnsafe(targetLength);
  let written = 0;
  let cursor = 0;
  while (ops.pos < ops.end) {
    const head = readVarint(ops);
    const len = Math.floor(head / 2);
    if (written + len > targetLength) throw new RangeError('corrupt delta: output overrun');
    if (head % 2 === 1) {
      const start = cursor + unzigzag(readVarint(ops));
      if (start < 0 || start + len > base.length) throw new RangeError('corrupt delta: copy outside base');
      out.set(base.subarray(start, start + len), written);
      cursor = start + len;
    } else {
      if (literal + len > delta.length) throw new RangeError('corrupt delta: literal overrun');
      out.set(delta.subarray(literal, literal + len), written);
      literal += len;
    }
    written += len;
  }
  if (written !== targetLength || literal !== delta.length) throw new RangeError('corrupt delta: length mismatch');
  return out;
}
