import { routes } from '@rocqet/sdk';
import type { Request, Router } from 'express';
import { COLLAB_PATH } from '../../collab/authenticate.js';
import { inTransaction } from '../../db/transaction.js';
import { describeDraft, findDraftTarget } from '../../domain/collab/drafts.js';
import { issueTicket } from '../../domain/collab/tickets.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';
import { presentCommit } from '../present.js';

/** Where a client opens the collab websocket: this server's origin, as the client reached it, on ws(s). */
export function collabServerUrl(req: Request): string {
  const scheme = req.protocol === 'https' ? 'wss' : 'ws';
  return `${scheme}://${req.get('host') ?? 'localhost'}${COLLAB_PATH}`;
}

/** y-websocket's roomname for a draft: `<promptId>/<branch>` (each branch segment URL-encoded). */
export function roomOf(promptId: string, branch: string): string {
  return `${promptId}/${branch.split('/').map(encodeURIComponent).join('/')}`;
}

export function collabRoutes(router: Router, deps: AppDeps): void {
  const { db } = deps;

  bind(router, deps, routes.createCollabTicket, async ({ actor, input, req }) => {
    const t = await inTransaction(db, (tx) => issueTicket(tx, actor, input.body));
    const serverUrl = collabServerUrl(req);
    const room = roomOf(t.prompt.id, t.branch.name);
    return {
      ticket: t.secret,
      expiresAt: t.expiresAt.toISOString(),
      url: `${serverUrl}/${room}?ticket=${encodeURIComponent(t.secret)}`,
      serverUrl,
      room,
    };
  });

  bind(router, deps, routes.getDraft, async ({ actor, input }) => {
    const target = await findDraftTarget(db, actor, input.params.prompt, input.params.name);
    const live = await deps.collab.snapshot(target);
    const d = await describeDraft(db, target, live);
    return {
      branch: target.branchName,
      base: presentCommit(d.base),
      dirty: d.dirty,
      content: d.content,
      presence: live.presence,
      updatedAt: d.updatedAt?.toISOString() ?? null,
      diff: d.diff,
    };
  });
}
