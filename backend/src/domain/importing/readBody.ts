import { ImportBody } from '@rocqet/sdk';
import type { z } from 'zod';
import { DomainError, fail, validationFailed } from '../errors.js';
import { readAwesomeCsv, type AwesomeRead } from './readAwesome.js';
import { readFabricJsonl, type FabricRead } from './readFabric.js';
import { readRocqetExport, type RocqetRead } from './readRocqet.js';

/** An import file read and checked, item by item, and not yet written. */
export type ReadImport = { folderId: string | null } & (
  | { format: 'awesome-csv'; read: AwesomeRead }
  | { format: 'fabric-jsonl'; read: FabricRead }
  | { format: 'rocqet-json'; read: RocqetRead }
);

/** Reads the file of a validated import body. Pure: no database, so it can run on a worker thread. */
export function readImportBody(body: z.output<typeof ImportBody>): ReadImport {
  const folderId = body.folderId ?? null;
  switch (body.format) {
    case 'awesome-csv':
      if (typeof body.data !== 'string') fail('import_invalid', 'awesome-csv data must be the CSV text');
      return { format: body.format, folderId, read: readAwesomeCsv(body.data) };
    case 'fabric-jsonl':
      if (typeof body.data !== 'string') fail('import_invalid', 'fabric-jsonl data must be the JSONL text');
      return { format: body.format, folderId, read: readFabricJsonl(body.data) };
    case 'rocqet-json':
      if (typeof body.data === 'string') fail('import_invalid', 'rocqet-json data must be the export object');
      return { format: body.format, folderId, read: readRocqetExport(body.data) };
  }
}

/** A refusal in the shape every transport shows (bind's validation_failed for a body that breaks the contract). */
export interface ReadRefusal {
  code: DomainError['code'];
  message: string;
  extra?: Record<string, unknown> | undefined;
}

/** One buffer of a body's chunks. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * The whole of reading an import request: the JSON, the contract's body schema, then the file itself. Whatever it
 * refuses comes back as a refusal rather than thrown, so it crosses a thread boundary intact.
 */
export function readImportRequest(bytes: Uint8Array): { ok: true; value: ReadImport } | { ok: false; refusal: ReadRefusal } {
  let json: unknown;
  try {
    json = bytes.byteLength ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
  } catch (err) {
    return { ok: false, refusal: { code: 'invalid_json', message: `the body is not valid JSON: ${(err as Error).message}` } };
  }
  const body = ImportBody.safeParse(json);
  try {
    if (!body.success) throw validationFailed('body', body.error.issues);
    return { ok: true, value: readImportBody(body.data) };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, refusal: { code: err.code, message: err.message, extra: err.extra } };
    throw err;
  }
}
