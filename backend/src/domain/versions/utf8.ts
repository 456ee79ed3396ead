import { LONE_SURROGATE } from '@rocqet/sdk';

// A lone surrogate has no UTF-8 form: Buffer.from would silently turn it into U+FFFD and the
// stored version would no longer read back byte for byte, so refuse it up front.
export function toUtf8(text: string): Buffer {
  if (LONE_SURROGATE.test(text)) throw new TypeError('text is not well-formed Unicode (lone surrogate)');
  return Buffer.from(text, 'utf8');
}
