/** A numeric command-line option, refused unless it lies in [min, max]. */
export function numberOption(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`--${name} must be a number in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}
