import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (provider keys, Slack bot tokens, linked Rocqet tokens): AES-256-GCM under ROCQET_SECRET_KEY.
 *
 * Each sealed value is bound to where it lives by the additional data (`aad`, e.g. `provider_key:<workspace id>`),
 * so a ciphertext copied into another workspace's row fails to open instead of lending that workspace a key.
 * The format names the key by a short fingerprint, so a rotated key (ROCQET_SECRET_KEY_PREVIOUS) still opens old
 * values and a wrong key is told apart from a tampered value.
 *
 *   rq1.<key id>.<iv>.<tag>.<ciphertext>   (base64url parts; iv 12 bytes, tag 16 bytes)
 */
export interface SecretBox {
  seal(plaintext: string, aad: string): string;
  /** Throws SecretBoxError: `unknown_key` (sealed under a key this process lacks) or `corrupt` (tampered, wrong aad). */
  open(sealed: string, aad: string): string;
  /** The fingerprint of the key new values are sealed under. */
  readonly keyId: string;
}

export class SecretBoxError extends Error {
  constructor(
    readonly reason: 'unknown_key' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** Why storing a secret is refused when no key is configured; the HTTP layer answers it with this text. */
export const NO_SECRET_KEY =
  'ROCQET_SECRET_KEY is not set, so secrets cannot be stored encrypted. Set it to 32 random bytes, ' +
  "base64 or hex (for example: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\").";

const PREFIX = 'rq1';

/** 32 bytes given as 64 hex digits or as base64/base64url; anything else is a configuration error. */
export function parseSecretKey(raw: string, name = 'ROCQET_SECRET_KEY'): Buffer {
  const s = raw.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(s)) key = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) {
    throw new Error(`${name} must be 32 bytes written as 64 hex digits or as base64 (44 characters)`);
  }
  return key;
}

function fingerprint(key: Buffer): string {
  return createHash('sha256').update('rocqet-secret-key\0').update(key).digest('base64url').slice(0, 8);
}

/** A box over the current key and, optionally, previous ones that still open old values. */
export function createSecretBox(current: Buffer, previous: Buffer[] = []): SecretBox {
  const keys = new Map<string, Buffer>();
  for (const k of [current, ...previous]) keys.set(fingerprint(k), k);
  const keyId = fingerprint(current);
  return {
    keyId,
    seal(plaintext, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [PREFIX, keyId, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
    },
    open(sealed, aad) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== PREFIX) throw new SecretBoxError('corrupt', 'not a sealed secret');
      const [, id, ivS, tagS, ctS] = parts as [string, string, string, string, string];
      const key = keys.get(id);
      if (!key) throw new SecretBoxError('unknown_key', `sealed under key ${id}, which this server does not have`);
      const iv = Buffer.from(ivS, 'base64url');
      const tag = Buffer.from(tagS, 'base64url');
      if (iv.length !== 12 || tag.length !== 16) throw new SecretBoxError('corrupt', 'malformed sealed secret');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ctS, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('corrupt', 'sealed secret does not open here (tampered, or bound to another row)');
      }
    },
  };
}

/**
 * The box the environment configures, or undefined when ROCQET_SECRET_KEY is unset (features that store secrets
 * then refuse with NO_SECRET_KEY; everything else runs). A malformed key fails at start, never at first use.
 */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox | undefined {
  const raw = env.ROCQET_SECRET_KEY;
  if (raw === undefined || raw.trim() === '') return undefined;
  const previous = (env.ROCQET_SECRET_KEY_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => parseSecretKey(s, 'ROCQET_SECRET_KEY_PREVIOUS'));
  return createSecretBox(parseSecretKey(raw), previous);
}

/** The last four characters, for showing which key is stored without showing the key. */
export function maskSecret(secret: string): string {
  const tail = secret.length > 8 ? secret.slice(-4) : '';
  return `••••${tail}`;
}
