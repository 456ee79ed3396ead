import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { BranchMoved } from '../domain/prompts/hooks.js';
import type { CollabDocument } from './document.js';
import type { PeerHost, Peers } from './peers.js';

/** Message kinds on a document's channel; each message is [kind][sender process id, 36 bytes][payload]. */
const UPDATE = 0;
const AWARENESS = 1;
/** "I joined with this state vector": peers answer with what it lacks (an UPDATE) and their awareness. */
const SYNC_REQUEST = 2;
/** A peer's answer to a SYNC_REQUEST (applied like an update; tells the joiner the holder has answered). */
const SYNC_REPLY = 3;
const ID_BYTES = 36;

/** Compare-and-set scripts: a lease is only renewed or released by the process that holds it. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RedisPeersOptions {
  url: string;
  logger: Logger;
  /** Key and channel prefix (tests share one Redis). */
  prefix?: string;
  /** How long a lease lives without renewal: a dead holder is replaced within about this long. */
  leaseMs?: number;
  /** How long a joiner waits for the lease holder's answer before serving what it has. */
  syncTimeoutMs?: number;
}

interface Joined {
  doc: CollabDocument;
  holder: boolean;
  synced: Promise<void>;
  answered?: () => void;
}

/**
 * Several backend processes serving the same drafts through Redis pub/sub: one channel per document for updates and
 * awareness (a process id in each message drops its own echoes), a join handshake (sync step 1/2 over Redis) so a
 * process that loads a document from the database also gets what the others hold in memory, and a lease per document
 * (SET NX PX, renewed by its holder) naming the one process that stores it and merges commits into it.
 */
export function redisPeers(opts: RedisPeersOptions): Peers & { processId: string } {
  const processId = randomUUID();
  const prefix = opts.prefix ?? 'rocqet:';
  const leaseMs = opts.leaseMs ?? 3_000;
  const syncTimeoutMs = opts.syncTimeoutMs ?? 1_000;
  const settings = { lazyConnect: true, maxRetriesPerRequest: 2 };
  const pub = new Redis(opts.url, settings);
  const sub = new Redis(opts.url, settings);
  const log = opts.logger;
  for (const r of [pub, sub]) r.on('error', (err: Error) => log.warn({ err: err.message }, 'collab: redis'));
  const docChannel = (branchId: string) => `${prefix}collab:doc:${branchId}`;
  const leaseKey = (branchId: string) => `${prefix}collab:lease:${branchId}`;
  const movesChannel = `${prefix}collab:moves`;
  const joined = new Map<string, Joined>();
  let host: PeerHost | undefined;
  const ready = Promise.all([pub.connect(), sub.connect()]).then(() => sub.subscribe(movesChannel));
  ready.catch((err: unknown) => log.warn({ err }, 'collab: redis is not reachable; drafts are served by this process alone'));
  const sender = Buffer.from(processId, 'ascii');

  const frame = (kind: number, payload: Uint8Array) => Buffer.concat([Buffer.of(kind), sender, payload]);
  const send = (branchId: string, kind: number, payload: Uint8Array) => {
    pub.publish(docChannel(branchId), frame(kind, payload)).catch((err: unknown) => log.warn({ err }, 'collab: publish failed'));
  };

  sub.on('messageBuffer', (channelBuf: Buffer, message: Buffer) => {
    const channel = channelBuf.toString();
    if (channel === movesChannel) {
      try {
        const moved = JSON.parse(message.toString()) as BranchMoved & { from: string };
        if (moved.from !== processId) host?.branchMoved(moved);
      } catch {
        // not ours
      }
      return;
    }
    const branchId = channel.slice(docChannel('').length);
    const j = joined.get(branchId);
    if (!j || message.length < 1 + ID_BYTES) return;
    const from = message.subarray(1, 1 + ID_BYTES).toString('ascii');
    if (from === processId) return;
    const kind = message[0];
    const payload = new Uint8Array(message.subarray(1 + ID_BYTES));
    try {
      if (kind === UPDATE) j.doc.applyRemote('update', payload);
      else if (kind === AWARENESS) j.doc.applyRemote('awareness', payload);
      else if (kind === SYNC_REQUEST) {
        send(branchId, SYNC_REPLY, Y.encodeStateAsUpdate(j.doc.doc, payload));
        const states = [...j.doc.awareness.getStates().keys()];
        if (states.length) send(branchId, AWARENESS, awarenessProtocol.encodeAwarenessUpdate(j.doc.awareness, states));
      } else if (kind === SYNC_REPLY) {
        j.doc.applyRemote('update', payload);
        j.answered?.();
      }
    } catch (err) {
      log.warn({ err }, 'collab: a message from another process could not be applied');
    }
  });

  async function tryLease(j: Joined): Promise<void> {
    const key = leaseKey(j.doc.target.branchId);
    try {
      if (j.holder) {
        if ((await pub.eval(RENEW, 1, key, processId, leaseMs)) !== 1) j.holder = false;
      } else if ((await pub.set(key, processId, 'PX', leaseMs, 'NX')) === 'OK') {
        j.holder = true;
        host?.becamePrimary(j.doc);
      }
    } catch (err) {
      log.warn({ err }, 'collab: lease check failed');
    }
  }
  const renewal = setInterval(() => joined.forEach((j) => void tryLease(j)), Math.max(50, Math.floor(leaseMs / 3)));
  renewal.unref();

  return {
    processId,
    attach(h) {
      host = h;
    },
    async join(doc) {
      const branchId = doc.target.branchId;
      await ready.catch(() => {});
      const j: Joined = { doc, holder: false, synced: Promise.resolve() };
      joined.set(branchId, j);
      try {
        await sub.subscribe(docChannel(branchId));
        if ((await pub.set(leaseKey(branchId), processId, 'PX', leaseMs, 'NX')) === 'OK') j.holder = true;
        else {
          // Someone holds it in memory: wait (briefly) for their answer before serving.
          j.synced = new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, syncTimeoutMs);
            j.answered = () => (clearTimeout(timer), resolve());
          });
        }
        // Our state (loaded from the database) for the others, and a request for theirs.
        send(branchId, UPDATE, Y.encodeStateAsUpdate(doc.doc));
        send(branchId, SYNC_REQUEST, Y.encodeStateVector(doc.doc));
      } catch (err) {
        log.warn({ err }, 'collab: joining through redis failed; serving this document alone');
        j.holder = true;
      }
    },
    synced: async (doc) => joined.get(doc.target.branchId)?.synced,
    async leave(doc) {
      const branchId = doc.target.branchId;
      const j = joined.get(branchId);
      if (!j || j.doc !== doc) return;
      joined.delete(branchId);
      await sub.unsubscribe(docChannel(branchId)).catch(() => {});
      if (j.holder) await pub.eval(RELEASE, 1, leaseKey(branchId), processId).catch(() => {});
    },
    publish(doc, kind, payload) {
      send(doc.target.branchId, kind === 'update' ? UPDATE : AWARENESS, payload);
    },
    announceBranchMoved(moved) {
      pub.publish(movesChannel, JSON.stringify({ ...moved, from: processId })).catch((err: unknown) => log.warn({ err }, 'collab: publish failed'));
    },
    // A document not (or no longer) joined is stored by whoever holds its lease, not by this process.
    isPrimary: (doc) => joined.get(doc.target.branchId)?.holder ?? false,
    async close() {
      clearInterval(renewal);
      await Promise.all(
        [...joined.values()].map((j) =>
          j.holder ? pub.eval(RELEASE, 1, leaseKey(j.doc.target.branchId), processId).catch(() => {}) : undefined,
        ),
      );
      joined.clear();
      sub.disconnect();
      pub.disconnect();
    },
  };
}

