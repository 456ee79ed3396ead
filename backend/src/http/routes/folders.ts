import { routes } from '@rocqet/sdk';
import type { Router } from 'express';
import { inTransaction } from '../../db/transaction.js';
import { createFolder, deleteFolder, getFolder, listFolders, updateFolder } from '../../domain/folders/folders.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';
import { presentFolder } from '../present.js';

export function folderRoutes(router: Router, deps: AppDeps): void {
  bind(router, deps, routes.listFolders, async ({ actor }) => ({
    items: (await listFolders(deps.pool, actor.workspaceId)).map(presentFolder),
  }));
  bind(router, deps, routes.getFolder, async ({ actor, input }) =>
    presentFolder(await getFolder(deps.pool, actor.workspaceId, input.params.id)),
  );
  bind(router, deps, routes.createFolder, async ({ actor, input }) =>
    presentFolder(await inTransaction(deps.db, (tx) => createFolder(tx, actor, input.body))),
  );
  bind(router, deps, routes.updateFolder, async ({ actor, input }) =>
    presentFolder(await inTransaction(deps.db, (tx) => updateFolder(tx, actor, input.params.id, input.body))),
  );
  bind(router, deps, routes.deleteFolder, async ({ actor, input }) => {
    await inTransaction(deps.db, (tx) => deleteFolder(tx, actor, input.params.id, input.query.recursive ?? false));
  });
}
