import { routes } from '@rocqet/sdk';
import type { Router } from 'express';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';

export function searchRoutes(router: Router, deps: AppDeps): void {
  bind(router, deps, routes.search, async ({ actor, input }) => {
    const { q, mode, folder, tag, author, updatedSince, limit, cursor } = input.query;
    const result = await deps.search.search(actor, {
      q,
      mode,
      folder,
      tags: tag,
      author,
      updatedSince: updatedSince ? new Date(updatedSince) : undefined,
      limit,
      cursor,
    });
    return {
      ...result,
      items: result.items.map((i) => ({ ...i, createdAt: i.createdAt.toISOString(), updatedAt: i.updatedAt.toISOString() })),
    };
  });
  bind(router, deps, routes.searchStatus, async ({ actor }) => {
    const s = await deps.search.status(actor.workspaceId);
    return { pending: s.pending, failed: s.failed, embedded: s.embedded, total: s.total, model: s.model, lastError: s.lastError };
  });
}
