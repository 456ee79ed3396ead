import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'rq_live_';

/** A new token secret and what is stored of it: its SHA-256 and a visible prefix to recognise it by. */
export function newTokenSecret(): { secret: string; prefix: string; hash: Uint8Array<ArrayBuffer> } {
  const secret = PREFIX + randomBytes(24).toString('base64url');
  return { secret, prefix: secret.slice(0, PREFIX.length + 6), hash: hashTokenSecret(secret) };
}

export function hashTokenSecret(secret: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(secret).digest());
}

export function looksLikeTokenSecret(value: string): boolean {
  return value.startsWith('rq_') && value.length <= 200;
}
