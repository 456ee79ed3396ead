import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretBox, maskSecret, parseSecretKey, secretBoxFromEnv, SecretBoxError } from '../../src/secrets/box.js';

describe('secret box (AES-256-GCM at rest)', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);

  it('opens what it sealed, with the same additional data', () => {
    const sealed = box.seal('sk-live-ünïcode-🔑', 'provider_key:ws1');
    assert.match(sealed, /^rq1\.[A-Za-z0-9_-]{8}\./);
    assert.ok(!sealed.includes('sk-live'));
    assert.equal(box.open(sealed, 'provider_key:ws1'), 'sk-live-ünïcode-🔑');
  });

  it('seals the same secret differently each time (fresh IV)', () => {
    assert.notEqual(box.seal('x', 'a'), box.seal('x', 'a'));
  });

  it('refuses a value bound to another row', () => {
    const sealed = box.seal('secret', 'provider_key:ws1');
    assert.throws(() => box.open(sealed, 'provider_key:ws2'), (e: unknown) => e instanceof SecretBoxError && e.reason === 'corrupt');
  });

  it('refuses a tampered ciphertext, tag or iv', () => {
    const sealed = box.seal('secret value', 'a');
    const parts = sealed.split('.');
    for (const i of [2, 3, 4]) {
      const p = [...parts];
      const b = Buffer.from(p[i]!, 'base64url');
      b[0] = b[0]! ^ 1;
      p[i] = b.toString('base64url');
      assert.throws(() => box.open(p.join('.'), 'a'), SecretBoxError);
    }
    assert.throws(() => box.open('garbage', 'a'), (e: unknown) => e instanceof SecretBoxError && e.reason === 'corrupt');
  });

  it('tells a value sealed under an unknown key apart, and opens it after rotation', () => {
    const old = createSecretBox(randomBytes(32));
    const sealed = old.seal('v', 'a');
    assert.throws(() => box.open(sealed, 'a'), (e: unknown) => e instanceof SecretBoxError && e.reason === 'unknown_key');
    const oldKey = randomBytes(32);
    const before = createSecretBox(oldKey).seal('v2', 'a');
    const rotated = createSecretBox(randomBytes(32), [oldKey]);
    assert.equal(rotated.open(before, 'a'), 'v2');
  });

  it('reads the key from the environment as hex or base64, and refuses anything else', () => {
    assert.equal(secretBoxFromEnv({}), undefined);
    assert.equal(secretBoxFromEnv({ ROCQET_SECRET_KEY: '  ' }), undefined);
    const hex = secretBoxFromEnv({ ROCQET_SECRET_KEY: key.toString('hex') })!;
    const b64 = secretBoxFromEnv({ ROCQET_SECRET_KEY: key.toString('base64') })!;
    assert.equal(hex.keyId, b64.keyId);
    assert.equal(b64.open(hex.seal('s', 'a'), 'a'), 's');
    for (const bad of ['short', key.toString('hex').slice(2), randomBytes(16).toString('base64'), 'z'.repeat(64)]) {
      assert.throws(() => parseSecretKey(bad), /ROCQET_SECRET_KEY must be 32 bytes/);
    }
  });

  it('masks all but a short tail, and all of a short secret', () => {
    assert.equal(maskSecret('sk-abcdefghijklmnop1234'), '••••1234');
    assert.equal(maskSecret('short'), '••••');
  });
});
