import assert from 'node:assert/strict';
import { contentHash } from '../../src/domain/versions/index.js';

describe('versions/hash', () => {
  it('is SHA-256 of the UTF-8 bytes', () => {
    assert.equal(contentHash('').toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(contentHash('abc').toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(contentHash('é').length, 32);
    assert.notDeepEqual(contentHash('a\n'), contentHash('a\r\n'));
  });
});
