import type { ExportDocument, ImportReport } from '@rocqet/sdk';
import type { Db } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { fail, notFound } from '../errors.js';
import { requireWrite } from '../policy.js';
import { importAwesomeCsv } from './awesome.js';
import { importFabricJsonl } from './fabric.js';
import type { Progress } from './report.js';
import { importRocqetExport } from './rocqet.js';

export { exportWorkspace } from './rocqet.js';

export async function importPrompts(
  db: Db,
  actor: Actor,
  input: { format: ImportReport['format']; data: string | ExportDocument; folderId?: string | null | undefined },
  onProgress?: Progress,
): Promise<ImportReport> {
  requireWrite(actor, 'importing');
  if (input.folderId && !(await db.folder.findFirst({ where: { id: input.folderId, workspaceId: actor.workspaceId } }))) {
    notFound('folder');
  }
  const opts = { folderId: input.folderId ?? null, ...(onProgress ? { onProgress } : {}) };
  switch (input.format) {
    case 'awesome-csv':
      if (typeof input.data !== 'string') fail('import_invalid', 'awesome-csv data must be the CSV text');
      return importAwesomeCsv(db, actor, input.data, opts);
    case 'fabric-jsonl':
      if (typeof input.data !== 'string') fail('import_invalid', 'fabric-jsonl data must be the JSONL text');
      return importFabricJsonl(db, actor, input.data, opts);
    case 'rocqet-json':
      if (typeof input.data === 'string') fail('import_invalid', 'rocqet-json data must be the export object');
      return importRocqetExport(db, actor, input.data, opts);
  }
}
