import { routes } from '@rocqet/sdk';
import type { Router } from 'express';
import { inTransaction } from '../../db/transaction.js';
import { createWorkspace, getWorkspace, listMyWorkspaces, updateWorkspace } from '../../domain/workspaces/workspaces.js';
import { bind, checkIfMatch, etagOf } from '../bind.js';
import type { AppDeps } from '../context.js';
import { presentWorkspace } from '../present.js';

export function workspaceRoutes(router: Router, deps: AppDeps): void {
  bind(router, deps, routes.listWorkspaces, async ({ actor }) => ({
    items: (await listMyWorkspaces(deps.db, actor)).map(presentWorkspace),
  }));

  bind(router, deps, routes.createWorkspace, async ({ actor, input }) => {
    const created = await inTransaction(deps.db, (tx) => createWorkspace(tx, actor, actor.userId, input.body));
    return {
      workspace: presentWorkspace({ ...created.workspace, role: 'owner', usage: { members: 1, prompts: 0 } }),
      token: { id: created.token.id, secret: created.secret },
    };
  });

  bind(router, deps, routes.getWorkspace, async ({ actor, input }) =>
    presentWorkspace(await getWorkspace(deps.pool, actor, input.params.workspace)),
  );

  bind(router, deps, routes.updateWorkspace, async ({ actor, input, req }) =>
    presentWorkspace(
      await inTransaction(deps.db, (tx) =>
        updateWorkspace(tx, actor, input.params.workspace, input.body, (current) =>
          checkIfMatch(req, etagOf(presentWorkspace(current))),
        ),
      ),
    ),
  );
}
