/**
 * Scales `values` to unit length into a fresh Float32Array. The sum is taken in float64 so float32 rounding
 * does not leave norms visibly off 1. A zero vector cannot be normalised and is returned as zeros.
 */
export function normalise(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  normaliseInto(values, out, 0);
  return out;
}

export function normaliseInto(values: ArrayLike<number>, out: Float32Array, offset: number): void {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    sum += v * v;
  }
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < values.length; i++) out[offset + i] = (values[i] as number) * scale;
}
