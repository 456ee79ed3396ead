// LEB128-style unsigned varints; arithmetic instead of shifts so lengths above 2^31 stay exact.
export function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export type Reader = { buf: Uint8Array; pos: number; end: number };

export function readVarint(r: Reader): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (r.pos >= r.end) throw new RangeError('corrupt delta: truncated varint');
    const byte = r.buf[r.pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
    if (scale > 2 ** 49) throw new RangeError('corrupt delta: varint too long');
  }
}

// Copy offsets are relative to where the previous copy ended; zigzag keeps small backward jumps small.
export const zigzag = (v: number): number => (v < 0 ? -2 * v - 1 : 2 * v);
export const unzigzag = (v: number): number => (v % 2 === 1 ? -(v + 1) / 2 : v / 2);
