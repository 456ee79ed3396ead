import { FeedCursor, FeedQuery, routes } from '@rocqet/sdk';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { Actor } from '../../domain/actor.js';
import { fail } from '../../domain/errors.js';
import { findPrompt } from '../../domain/prompts/resolve.js';
import { getFolder } from '../../domain/folders/folders.js';
import { checkCursor, latestCursor, type FeedEntry } from '../../feed/entries.js';
import { presentFor, type FeedFilter } from '../../feed/filter.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';

/** A subscriber that stops reading is dropped (it resumes from its last id) rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** What a client waits before reconnecting after the stream ends; the sdk adds its own backoff. */
const RETRY_MS = 1_000;

export function eventRoutes(router: Router, deps: AppDeps): void {
  bind(router, deps, routes.streamEvents, async ({ actor, input, req, res }) => {
    const filter = await filterOf(deps, actor, input.query);
    const lastEventId = req.get('last-event-id');
    let cursor: bigint;
    const resumeFrom = lastEventId !== undefined && lastEventId !== '' ? lastEventId : input.query.after;
    if (resumeFrom !== undefined) {
      if (!FeedCursor.safeParse(resumeFrom).success) fail('validation_failed', 'Last-Event-ID must be an event id');
      cursor = BigInt(resumeFrom);
      await checkCursor(deps.pool, actor.workspaceId, cursor, deps.config.feed.replayMs);
    } else {
      cursor = await latestCursor(deps.pool, actor.workspaceId);
    }
    const holder = actor.tokenId ?? actor.membershipId;
    if (deps.feed.countFor(holder) >= deps.config.feed.maxPerToken) {
      fail('rate_limited', `this token already has ${deps.config.feed.maxPerToken} open feed streams (ROCQET_FEED_MAX_PER_TOKEN); close one first`);
    }
    openStream(deps, actor, filter, cursor, req, res);
  });
}

async function filterOf(deps: AppDeps, actor: Actor, q: z.output<typeof FeedQuery>): Promise<FeedFilter> {
  const filter: FeedFilter = {};
  if (q.prompt) filter.promptId = (await findPrompt(deps.db, actor.workspaceId, q.prompt, { deleted: 'include' })).id;
  if (q.folder) {
    const folder = await getFolder(deps.db, actor.workspaceId, q.folder);
    filter.folder = { id: folder.id, path: folder.path };
  }
  if (q.types) filter.types = q.types.split(',');
  return filter;
}

function openStream(deps: AppDeps, actor: Actor, filter: FeedFilter, cursor: bigint, req: Request, res: Response): void {
  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // Proxies such as nginx buffer responses unless told not to.
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${RETRY_MS}\n: feed of workspace ${actor.workspaceId} after ${cursor}\n\n`);

  let done = false;
  let unsubscribe = () => {};
  const end = () => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    unsubscribe();
    deps.metrics.feedSubscribers.dec();
    res.end();
  };
  const write = (chunk: string) => {
    if (done) return;
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) end();
  };
  const heartbeat = setInterval(() => write(': ping\n\n'), deps.config.feed.heartbeatMs);
  heartbeat.unref();
  deps.metrics.feedSubscribers.inc();
  unsubscribe = deps.feed.subscribe({
    actor,
    filter,
    cursor,
    deliver: (entry: FeedEntry) =>
      write(`id: ${entry.id}\nevent: ${entry.event.action}\ndata: ${JSON.stringify(presentFor(actor, entry.event))}\n\n`),
    close: end,
  });
  req.on('close', end);
  res.on('error', end);
}
