import assert from 'node:assert/strict';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { DRAFT_TEXT } from '@rocqet/sdk';
import type { Connection } from '../../src/collab/connection.js';
import { CollabDocument } from '../../src/collab/document.js';

/**
 * Edits that build on structs a server's document does not have yet wait in its store (pending) and are integrated
 * by the update that brings those structs, under that update's origin. What they hold must still reach everyone:
 * the other processes (the update came from one of them) and the sender of the update (its own client).
 */
describe('collab: edits that waited in the store reach everyone', () => {
  const open: CollabDocument[] = [];
  afterEach(async () => {
    for (const d of open.splice(0)) await d.destroy();
  });

  function serverDoc() {
    const published: Uint8Array[] = [];
    const doc = new CollabDocument(
      { workspaceId: 'w', promptId: 'p', branchId: 'b' } as never,
      Y.encodeStateAsUpdate(new Y.Doc()),
      { save: async () => true, isPrimary: () => true, published: (_d, kind, u) => kind === 'update' && published.push(u), onError: () => {} },
      { persistMs: 60_000, maxDocumentBytes: 1 << 20 },
    );
    open.push(doc);
    return { doc, published };
  }

  function client(doc: CollabDocument, userId: string) {
    const received: Uint8Array[] = [];
    const conn = {
      actor: { userId },
      controlled: new Set<number>(),
      send: (message: Uint8Array) => {
        // y-protocols sync message: [messageSync, messageYjsUpdate, update]
        const d = decoding.createDecoder(message);
        decoding.readVarUint(d);
        decoding.readVarUint(d);
        received.push(decoding.readVarUint8Array(d));
      },
      close: () => assert.fail('closed'),
    } as unknown as Connection;
    doc.connections.add(conn);
    return { conn, received };
  }

  /** A text someone else typed, and what they then did to it, as updates. */
  function typed(text: string) {
    const author = new Y.Doc();
    const updates: Uint8Array[] = [];
    author.on('update', (u: Uint8Array) => updates.push(u));
    author.getText(DRAFT_TEXT).insert(0, text);
    return { author, updates };
  }

  const textOf = (updates: Uint8Array[]) => {
    const d = new Y.Doc();
    for (const u of updates) Y.applyUpdate(d, u);
    return d.getText(DRAFT_TEXT).toString();
  };

  it('a client edit waiting for another process’s structs is published once they arrive', () => {
    const { doc, published } = serverDoc();
    const { updates } = typed('hello');
    const [created] = updates;
    const reader = new Y.Doc();
    Y.applyUpdate(reader, created!);
    const clientUpdates: Uint8Array[] = [];
    reader.on('update', (u: Uint8Array) => clientUpdates.push(u));
    reader.getText(DRAFT_TEXT).insert(5, ' world');
    const { conn } = client(doc, 'u1');

    // The client builds on "hello", which this process has not received yet: its edit waits.
    doc.applyClientUpdate(conn, clientUpdates[0]!);
    assert.equal(doc.doc.getText(DRAFT_TEXT).toString(), '');
    // "hello" arrives from the other process and completes it.
    doc.applyRemote('update', created!);
    assert.equal(doc.doc.getText(DRAFT_TEXT).toString(), 'hello world');
    // The other process must get " world" (it only ever had "hello").
    assert.equal(textOf([created!, ...published]), 'hello world');
  });

  it('a deletion waiting for its structs reaches the client whose update brought them', () => {
    const { doc } = serverDoc();
    // The client typed "abc" while this process did not have it (say, it had just reloaded the draft).
    const { author, updates } = typed('abc');
    // Another process had "abc" and someone there deleted "b": that arrives first, and waits.
    const other = new Y.Doc();
    Y.applyUpdate(other, updates[0]!);
    const deletions: Uint8Array[] = [];
    other.on('update', (u: Uint8Array) => deletions.push(u));
    other.getText(DRAFT_TEXT).delete(1, 1);
    doc.applyRemote('update', deletions[0]!);
    assert.equal(doc.doc.getText(DRAFT_TEXT).toString(), '');

    const { conn, received } = client(doc, 'u1');
    doc.applyClientUpdate(conn, updates[0]!);
    assert.equal(doc.doc.getText(DRAFT_TEXT).toString(), 'ac');
    // The client must learn that "b" went, though the update was its own.
    for (const u of received) Y.applyUpdate(author, u);
    assert.equal(author.getText(DRAFT_TEXT).toString(), 'ac');
  });

  it('with nothing waiting, a sender gets no echo and another process’s update is not published back', () => {
    const { doc, published } = serverDoc();
    const { updates } = typed('hi');
    const { conn, received } = client(doc, 'u1');
    doc.applyClientUpdate(conn, updates[0]!);
    assert.equal(received.length, 0);
    assert.equal(published.length, 1);
    const { updates: remote } = typed('yo');
    doc.applyRemote('update', remote[0]!);
    assert.equal(received.length, 1);
    assert.equal(published.length, 1);
  });
});
