import assert from 'node:assert/strict';
import { contentHash, decodeVersion, encodeVersion, MAX_CHAIN, type StoredVersion } from '../../src/domain/versions/index.js';
import { FABRIC_PATH, loadFabric, type FabricPrompt } from './fabric.js';

type Row = StoredVersion & { chainBytes: number };

/** The chain the database would read for version i: its last snapshot and the deltas after it. */
function chainFor(rows: readonly Row[], i: number): { snapshot: Buffer; deltas: Buffer[] } {
  let s = i;
  while (rows[s]!.kind !== 'snapshot') s--;
  return { snapshot: rows[s]!.payload, deltas: rows.slice(s + 1, i + 1).map((r) => r.payload) };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const us = (ns: bigint): number => Number(ns) / 1000;

describe('versions storage on the fabric histories', function () {
  let prompts: FabricPrompt[] = [];
  const stored = new Map<string, Row[]>();

  before(function () {
    const loaded = loadFabric();
    if (!loaded) {
      console.log(`    (skipped: fabric data not found at ${FABRIC_PATH})`);
      this.skip();
    }
    prompts = loaded;
  });

  it('replays every history: exact round trip, hashes match, chains stay within MAX_CHAIN', function () {
    let textBytes = 0;
    let payloadBytes = 0;
    let snapshots = 0;
    let deltaBytes = 0;
    let versions = 0;
    const encodeUs: number[] = [];
    for (const prompt of prompts) {
      const rows: Row[] = [];
      prompt.versions.forEach((v, i) => {
        const prev = rows[i - 1];
        const parent = prev && { text: prompt.versions[i - 1]!.content, chainLength: prev.chainLength, chainBytes: prev.chainBytes };
        const t = process.hrtime.bigint();
        const row = encodeVersion(v.content, parent);
        encodeUs.push(us(process.hrtime.bigint() - t));
        rows.push(row);
        const { snapshot, deltas } = chainFor(rows, i);
        assert.ok(row.chainLength <= MAX_CHAIN, `${prompt.name}#${i} chain ${row.chainLength}`);
        assert.equal(deltas.length, row.chainLength);
        assert.equal(row.size, Buffer.byteLength(v.content, 'utf8'));
        const text = decodeVersion(snapshot, deltas);
        assert.ok(text === v.content, `${prompt.name}#${i} does not read back byte for byte`);
        assert.deepEqual(contentHash(text), contentHash(v.content));
        textBytes += row.size;
        payloadBytes += row.payload.length;
        versions++;
        if (row.kind === 'snapshot') snapshots++;
        else deltaBytes += row.payload.length;
      });
      stored.set(prompt.name, rows);
    }
    const ratio = payloadBytes / textBytes;
    console.log(
      `    storage: ${versions} versions, ${textBytes} text bytes -> ${payloadBytes} payload bytes, ratio ${ratio.toFixed(4)}` +
        ` (${snapshots} snapshots = ${payloadBytes - deltaBytes} B, ${versions - snapshots} deltas = ${deltaBytes} B)`,
    );
    encodeUs.sort((a, b) => a - b);
    console.log(`    encode per version: p50 ${(percentile(encodeUs, 0.5) / 1000).toFixed(2)} ms, p99 ${(percentile(encodeUs, 0.99) / 1000).toFixed(1)} ms`);
    assert.equal(versions, prompts.reduce((n, p) => n + p.versions.length, 0));
    assert.ok(ratio < 0.2, `storage ratio regressed to ${ratio}`);
  });

  it('reports decode time per version against reading a full copy', function () {
    if (stored.size === 0) this.skip();
    const chain: number[] = [];
    const snapshotOnly: number[] = [];
    const raw: number[] = [];
    // Best of a few runs per version keeps GC pauses out of the per-version figure.
    const best = (fn: () => unknown): number => {
      let min = Infinity;
      for (let k = 0; k < 5; k++) {
        const t = process.hrtime.bigint();
        fn();
        min = Math.min(min, us(process.hrtime.bigint() - t));
      }
      return min;
    };
    for (const prompt of prompts) {
      const rows = stored.get(prompt.name)!;
      prompt.versions.forEach((v, i) => {
        const { snapshot, deltas } = chainFor(rows, i);
        chain.push(best(() => decodeVersion(snapshot, deltas)));
        const full = rows[i]!.kind === 'snapshot' ? rows[i]!.payload : encodeVersion(v.content).payload;
        snapshotOnly.push(best(() => decodeVersion(full, [])));
        const copy = Buffer.from(v.content, 'utf8');
        raw.push(best(() => copy.toString('utf8')));
      });
    }
    for (const xs of [chain, snapshotOnly, raw]) xs.sort((a, b) => a - b);
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 0.5).toFixed(1)} µs, p99 ${percentile(xs, 0.99).toFixed(1)} µs`;
    console.log(`    decode snapshot+chain: ${fmt(chain)}`);
    console.log(`    decode one compressed full copy: ${fmt(snapshotOnly)}`);
    console.log(`    read uncompressed full copy (utf8 decode): ${fmt(raw)}`);
    assert.equal(chain.length, snapshotOnly.length);
  });
});
