import { routes } from '@rocqet/sdk';
import type { Router } from 'express';
import { inTransaction } from '../../db/transaction.js';
import { createToken, listTokens, revokeToken } from '../../domain/tokens/tokens.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';
import { presentToken } from '../present.js';

export function tokenRoutes(router: Router, deps: AppDeps): void {
  bind(router, deps, routes.me, async ({ actor }) => ({
    userId: actor.userId,
    email: actor.email,
    name: actor.name,
    workspaceId: actor.workspaceId,
    role: actor.role,
    tokenId: actor.tokenId,
    scopes: [...actor.scopes],
  }));
  bind(router, deps, routes.listTokens, async ({ actor, input }) => {
    const page = await listTokens(deps.db, actor, input.query);
    return { items: page.items.map(presentToken), nextCursor: page.nextCursor };
  });
  bind(router, deps, routes.createToken, async ({ actor, input }) => {
    const { token, secret } = await inTransaction(deps.db, (tx) => createToken(tx, actor, input.body));
    return { token: presentToken(token), secret };
  });
  bind(router, deps, routes.revokeToken, async ({ actor, input }) => {
    await inTransaction(deps.db, (tx) => revokeToken(tx, actor, input.params.id));
  });
}
