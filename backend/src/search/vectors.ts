/** pgvector's text form, `[0.1,0.2,…]`: how vectors travel through Prisma's raw queries (`${literal}::vector`). */
export function vectorLiteral(v: ArrayLike<number>): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    if (i > 0) out += ',';
    // float32 holds ~7 significant digits; more only bloats the statement.
    out += Number((v[i] as number).toPrecision(8)).toString();
  }
  return out + ']';
}

export function parseVector(text: string): Float32Array {
  const body = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  if (body === '') return new Float32Array(0);
  return Float32Array.from(body.split(',').map(Number));
}
