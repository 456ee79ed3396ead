/** The y-websocket wire format: a varuint message type, then sync (y-protocols/sync), awareness or auth. */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as auth from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as sync from 'y-protocols/sync';
import * as Y from 'yjs';

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;
export const MESSAGE_QUERY_AWARENESS = 3;

export type ClientMessage =
  | { type: 'syncStep1'; stateVector: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; entries: AwarenessEntry[] }
  | { type: 'queryAwareness' }
  | { type: 'auth' };

/** One client's awareness state as y-protocols encodes it: `state` is parsed JSON, null when the client left. */
export interface AwarenessEntry {
  clientID: number;
  clock: number;
  state: unknown;
}

/**
 * Decodes a client's message completely, or throws: nothing reaches the document before the whole message parsed,
 * and a message with bytes left over is as malformed as a truncated one (a frame we do not understand is never
 * half-read and half-ignored).
 */
export function decodeMessage(data: Uint8Array): ClientMessage {
  const decoder = decoding.createDecoder(data);
  const type = decoding.readVarUint(decoder);
  let message: ClientMessage;
  switch (type) {
    case MESSAGE_SYNC: {
      const step = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (step === sync.messageYjsSyncStep1) {
        Y.decodeStateVector(payload);
        message = { type: 'syncStep1', stateVector: payload };
      } else if (step === sync.messageYjsSyncStep2 || step === sync.messageYjsUpdate) {
        // Parsing first: a garbage update throws here instead of half-applying inside the document.
        Y.decodeUpdate(payload);
        message = { type: 'update', update: payload };
      } else throw new Error(`unknown sync step ${step}`);
      break;
    }
    case MESSAGE_AWARENESS:
      message = { type: 'awareness', entries: decodeAwareness(decoding.readVarUint8Array(decoder)) };
      break;
    case MESSAGE_QUERY_AWARENESS:
      message = { type: 'queryAwareness' };
      break;
    case MESSAGE_AUTH: {
      // y-protocols/auth has one message, permission denied with a reason; a client has no reason to send it.
      const kind = decoding.readVarUint(decoder);
      if (kind !== auth.messagePermissionDenied) throw new Error(`unknown auth message ${kind}`);
      decoding.readVarString(decoder);
      message = { type: 'auth' };
      break;
    }
    default:
      throw new Error(`unknown message type ${type}`);
  }
  if (decoding.hasContent(decoder)) throw new Error('bytes after the message');
  return message;
}

/** An awareness update, each state parsed: a bad entry anywhere refuses the whole update rather than half-apply it. */
export function decodeAwareness(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientID = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state = JSON.parse(decoding.readVarString(decoder)) as unknown;
    // y-protocols' states are objects, or null for a client that left.
    if (state !== null && (typeof state !== 'object' || Array.isArray(state))) throw new Error('an awareness state is not an object');
    entries.push({ clientID, clock, state });
  }
  if (decoding.hasContent(decoder)) throw new Error('bytes after the awareness update');
  return entries;
}

export function encodeAwareness(entries: AwarenessEntry[]): Uint8Array {
  return message((e) => {
    encoding.writeVarUint(e, entries.length);
    for (const { clientID, clock, state } of entries) {
      encoding.writeVarUint(e, clientID);
      encoding.writeVarUint(e, clock);
      encoding.writeVarString(e, JSON.stringify(state));
    }
  });
}

/** An update that carries nothing (a read-only client's empty sync step 2): no structs, no deletions. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update);
  return structs.length === 0 && ds.clients.size === 0;
}

function message(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

export const syncStep1Message = (doc: Y.Doc) =>
  message((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    sync.writeSyncStep1(e, doc);
  });

export const syncStep2Message = (doc: Y.Doc, stateVector?: Uint8Array) =>
  message((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    sync.writeSyncStep2(e, doc, stateVector);
  });

export const updateMessage = (update: Uint8Array) =>
  message((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    sync.writeUpdate(e, update);
  });

export const awarenessMessage = (update: Uint8Array) =>
  message((e) => {
    encoding.writeVarUint(e, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(e, update);
  });

export const allAwarenessMessage = (awareness: awarenessProtocol.Awareness) =>
  awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(awareness, [...awareness.getStates().keys()]));

export const permissionDeniedMessage = (reason: string) =>
  message((e) => {
    encoding.writeVarUint(e, MESSAGE_AUTH);
    auth.writePermissionDenied(e, reason);
  });
