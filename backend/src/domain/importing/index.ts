import type { ImportReport } from '@rocqet/sdk';
import type { Db } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { notFound } from '../errors.js';
import { requireWrite } from '../policy.js';
import { importAwesomeRows } from './awesome.js';
import { importFabricEntries } from './fabric.js';
import type { ReadImport } from './readBody.js';
import type { Progress } from './report.js';
import { importRocqetRead } from './rocqet.js';

export { exportWorkspace } from './rocqet.js';
export { readImportOffLoop } from './offThread.js';

/**
 * Writes an import that has been read and checked in full (readImportOffLoop): every valid item in one transaction,
 * every invalid one in the report's `skipped`.
 */
export async function importPrompts(db: Db, actor: Actor, input: ReadImport, onProgress?: Progress): Promise<ImportReport> {
  requireWrite(actor, 'importing');
  if (input.folderId && !(await db.folder.findFirst({ where: { id: input.folderId, workspaceId: actor.workspaceId } }))) {
    notFound('folder');
  }
  const opts = { folderId: input.folderId, ...(onProgress ? { onProgress } : {}) };
  switch (input.format) {
    case 'awesome-csv':
      return importAwesomeRows(db, actor, input.read, opts);
    case 'fabric-jsonl':
      return importFabricEntries(db, actor, input.read, opts);
    case 'rocqet-json':
      return importRocqetRead(db, actor, input.read, opts);
  }
}
