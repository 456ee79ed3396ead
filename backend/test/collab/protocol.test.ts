import assert from 'node:assert/strict';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
  allAwarenessMessage,
  decodeMessage,
  syncStep1Message,
  syncStep2Message,
  updateMessage,
} from '../../src/collab/protocol.js';
import { prng } from './support.js';

const frame = (write: (e: encoding.Encoder) => void) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};

describe('collab wire format: a client message is read whole or refused', () => {
  const doc = new Y.Doc();
  doc.getText('content').insert(0, 'hello');
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState({ cursor: { anchor: 1 } });
  // An Awareness runs a 3 s interval until destroyed, which would keep mocha's process from ever exiting.
  after(() => awareness.destroy());
  const valid = {
    syncStep1: syncStep1Message(doc),
    syncStep2: syncStep2Message(doc),
    update: updateMessage(Y.encodeStateAsUpdate(doc)),
    awareness: allAwarenessMessage(awareness),
    queryAwareness: frame((e) => encoding.writeVarUint(e, 3)),
    auth: frame((e) => {
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, 'no');
    }),
  };

  it('reads what a stock y-websocket client sends', () => {
    for (const [name, bytes] of Object.entries(valid)) assert.doesNotThrow(() => decodeMessage(bytes), name);
    const read = decodeMessage(valid.awareness);
    assert.equal(read.type, 'awareness');
    assert.deepEqual(read.type === 'awareness' && read.entries, [{ clientID: doc.clientID, clock: 1, state: { cursor: { anchor: 1 } } }]);
  });

  it('refuses every message with a byte more, and every one cut short', () => {
    for (const [name, bytes] of Object.entries(valid)) {
      assert.throws(() => decodeMessage(Uint8Array.of(...bytes, 0)), `${name} + one byte`);
      for (let cut = 0; cut < bytes.length; cut++) {
        // A prefix can itself be a whole, shorter message only when the cut falls at a frame's end; none of these does.
        assert.throws(() => decodeMessage(bytes.subarray(0, cut)), `${name} cut at ${cut}`);
      }
    }
  });

  it('refuses awareness whose states are not JSON objects, even when another entry is good', () => {
    const entry = (state: string) =>
      frame((e) => {
        encoding.writeVarUint(e, 1);
        encoding.writeVarUint8Array(
          e,
          frame((u) => {
            encoding.writeVarUint(u, 2);
            encoding.writeVarUint(u, 7);
            encoding.writeVarUint(u, 1);
            encoding.writeVarString(u, '{"cursor":1}');
            encoding.writeVarUint(u, 8);
            encoding.writeVarUint(u, 1);
            encoding.writeVarString(u, state);
          }),
        );
      });
    assert.doesNotThrow(() => decodeMessage(entry('null')));
    for (const bad of ['{"cursor":', '42', '"x"', '[1]', '']) assert.throws(() => decodeMessage(entry(bad)), bad);
  });

  it('20,000 seeded random messages: each is refused, or read whole (one byte more is refused)', () => {
    const random = prng(9);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(random() * 40);
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      // Biased towards the four message types so the decoder gets past the first byte.
      if (random() < 0.8) bytes[0] = Math.floor(random() * 4);
      if (random() < 0.5 && length > 1) bytes[1] = Math.floor(random() * 3);
      let ok = false;
      try {
        decodeMessage(bytes);
        ok = true;
      } catch (err) {
        assert.ok(err instanceof Error, `a non-Error thrown for ${Buffer.from(bytes).toString('hex')}`);
      }
      if (ok) {
        accepted++;
        assert.throws(() => decodeMessage(Uint8Array.of(...bytes, 0)), Buffer.from(bytes).toString('hex'));
        const message = decodeMessage(bytes);
        if (message.type === 'update') assert.doesNotThrow(() => Y.applyUpdate(new Y.Doc(), message.update));
      }
    }
    assert.ok(accepted < 2_000, `${accepted} random messages accepted`);
  });
});
