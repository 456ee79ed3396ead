import { routes } from '@rocqet/sdk';
import type { Router } from 'express';
import { listAudit } from '../../domain/auditLog.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';
import { presentAudit } from '../present.js';

export function auditRoutes(router: Router, deps: AppDeps): void {
  bind(router, deps, routes.listAudit, async ({ actor, input }) => {
    const page = await listAudit(deps.db, actor, input.query);
    return { items: page.items.map(presentAudit), nextCursor: page.nextCursor };
  });
}
