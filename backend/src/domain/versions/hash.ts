import { createHash } from 'node:crypto';

/** SHA-256 of the text's UTF-8 bytes: the identity every stored version must read back to. */
export function contentHash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
