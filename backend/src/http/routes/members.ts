import { routes } from '@rocqet/sdk';
import type { Router } from 'express';
import { inTransaction } from '../../db/transaction.js';
import { addMember, listMembers, removeMember, updateMember } from '../../domain/members/members.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';
import { presentMember } from '../present.js';

export function memberRoutes(router: Router, deps: AppDeps): void {
  bind(router, deps, routes.listMembers, async ({ actor, input }) => {
    const page = await listMembers(deps.db, actor, input.query);
    return { items: page.items.map(presentMember), nextCursor: page.nextCursor };
  });
  bind(router, deps, routes.addMember, async ({ actor, input }) =>
    presentMember(await inTransaction(deps.db, (tx) => addMember(tx, actor, input.body))),
  );
  bind(router, deps, routes.updateMember, async ({ actor, input }) =>
    presentMember(await inTransaction(deps.db, (tx) => updateMember(tx, actor, input.params.id, input.body))),
  );
  bind(router, deps, routes.removeMember, async ({ actor, input }) => {
    await inTransaction(deps.db, (tx) => removeMember(tx, actor, input.params.id));
  });
}
