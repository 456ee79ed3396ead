/**
 * How one version is stored, revlog style: a compressed delta against its parent, or a compressed
 * full snapshot that starts a new chain. Reading any version = one snapshot + at most MAX_CHAIN deltas.
 */
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants as z } from 'node:zlib';
import { applyDeltaBytes, encodeDeltaBytes } from './delta.js';
import { toUtf8 } from './utf8.js';

/** Deltas allowed after a snapshot; the next version past this starts a fresh snapshot. */
export const MAX_CHAIN = 10;

export type StoredVersion = {
  kind: 'snapshot' | 'delta';
  payload: Buffer;
  /** Deltas since the last snapshot, this one included; 0 for a snapshot. */
  chainLength: number;
  /** UTF-8 byte length of the full text. */
  size: number;
};

export type ParentVersion = {
  text: string;
  chainLength: number;
  /** Sum of delta payload bytes since the last snapshot (0 when the parent is a snapshot). */
  chainBytes: number;
};

// First payload byte. High nibble = kind, low nibble = encoding, so a reader can tell a delta from a
// snapshot and future encodings (zstd, other delta formats) slot in without a migration.
const TAG = {
  snapshotRaw: 0x01,
  snapshotBrotli: 0x02,
  deltaRaw: 0x11,
  deltaBrotli: 0x12,
} as const;

// Text vs generic mode made no measurable difference at quality 11, so it is left at the default.
function brotliOptions(bytes: Uint8Array) {
  return {
    params: {
      [z.BROTLI_PARAM_QUALITY]: z.BROTLI_MAX_QUALITY,
      [z.BROTLI_PARAM_LGWIN]: z.BROTLI_MAX_WINDOW_BITS,
      [z.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  };
}

const brotliOnPool = promisify(brotliCompress);

// Tiny inputs grow under compression, so the raw form is kept whenever it is not larger.
function pack(bytes: Uint8Array, compressed: Buffer, rawTag: number, brotliTag: number): Buffer {
  return compressed.length < bytes.length
    ? Buffer.concat([Buffer.of(brotliTag), compressed])
    : Buffer.concat([Buffer.of(rawTag), bytes]);
}

function unpack(payload: Buffer, rawTag: number, brotliTag: number, what: string): Buffer {
  const tag = payload[0];
  const body = payload.subarray(1);
  if (tag === rawTag) return body;
  if (tag === brotliTag) return brotliDecompressSync(body);
  throw new TypeError(`not a ${what} payload (tag ${tag === undefined ? 'missing' : `0x${tag.toString(16)}`})`);
}

/** What gets compressed: the text, and its delta against the parent when the chain may grow. */
function uncompressed(text: string, parent?: ParentVersion) {
  const bytes = toUtf8(text);
  const delta = parent && parent.chainLength < MAX_CHAIN ? encodeDeltaBytes(toUtf8(parent.text), bytes) : null;
  return { bytes, delta };
}

function choose(
  bytes: Uint8Array,
  parent: ParentVersion | undefined,
  snapshotZ: Buffer,
  delta: { raw: Uint8Array; z: Buffer } | null,
): StoredVersion & { chainBytes: number } {
  const full = { kind: 'snapshot' as const, payload: pack(bytes, snapshotZ, TAG.snapshotRaw, TAG.snapshotBrotli), chainLength: 0, size: bytes.length, chainBytes: 0 };
  if (!parent || !delta) return full;
  const payload = pack(delta.raw, delta.z, TAG.deltaRaw, TAG.deltaBrotli);
  const chainBytes = parent.chainBytes + payload.length;
  // Once the chain costs more than a fresh copy, reading it is slower and storing it is no smaller.
  if (chainBytes > full.payload.length) return full;
  return { kind: 'delta', payload, chainLength: parent.chainLength + 1, size: bytes.length, chainBytes };
}

export function encodeVersion(
  text: string,
  parent?: ParentVersion,
): StoredVersion & { chainBytes: number } {
  const { bytes, delta } = uncompressed(text, parent);
  const z = (b: Uint8Array) => brotliCompressSync(b, brotliOptions(b));
  return choose(bytes, parent, z(bytes), delta && { raw: delta, z: z(delta) });
}

/**
 * encodeVersion with the compression on libuv's thread pool: brotli at quality 11 takes about a second for a
 * 200,000-character text, which the event loop (and every other request) must not wait for. Same bytes out.
 */
export async function encodeVersionOffLoop(
  text: string,
  parent?: ParentVersion,
): Promise<StoredVersion & { chainBytes: number }> {
  const { bytes, delta } = uncompressed(text, parent);
  const z = (b: Uint8Array) => brotliOnPool(b, brotliOptions(b));
  const [snapshotZ, deltaZ] = await Promise.all([z(bytes), delta ? z(delta) : null]);
  return choose(bytes, parent, snapshotZ, delta && { raw: delta, z: deltaZ! });
}

/** Rebuilds a version from its chain's snapshot payload and the delta payloads after it, oldest first. */
export function decodeVersion(snapshot: Buffer, deltas: readonly Buffer[]): string {
  if (deltas.length > MAX_CHAIN) throw new RangeError(`delta chain of ${deltas.length} exceeds ${MAX_CHAIN}`);
  let bytes: Uint8Array = unpack(snapshot, TAG.snapshotRaw, TAG.snapshotBrotli, 'snapshot');
  for (const delta of deltas) bytes = applyDeltaBytes(bytes, unpack(delta, TAG.deltaRaw, TAG.deltaBrotli, 'delta'));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
