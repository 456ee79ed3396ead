import { FeedCursor, FeedQuery, routes } from '@rocqet/sdk';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { Actor } from '../../domain/actor.js';
import { fail } from '../../domain/errors.js';
import { atLeast } from '../../domain/policy.js';
import { findPrompt } from '../../domain/prompts/resolve.js';
import { getFolder } from '../../domain/folders/folders.js';
import { checkCursor, latestCursor, type FeedEntry } from '../../feed/entries.js';
import { presentFor, type FeedFilter } from '../../feed/filter.js';
import type { Subscriber } from '../../feed/hub.js';
import { problemBody } from '../problem.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';
import { openSse } from '../sse.js';

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
    // Counted across processes when there is Redis: a token cannot get N streams on each of M backends.
    const release = await deps.slots.acquire('feed', actor.tokenId ?? actor.membershipId, deps.config.feed.maxPerToken);
    if (!release) {
      fail('rate_limited', `this token already has ${deps.config.feed.maxPerToken} open feed streams (ROCQET_FEED_MAX_PER_TOKEN); close one first`);
    }
    if (req.destroyed) return release();
    openStream(deps, actor, filter, cursor, req, res, release);
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

/** Each entry is written to every subscriber: it is serialised once per view (admins', everyone else's), not per stream. */
const frames = new WeakMap<FeedEntry, Map<boolean, string>>();

function frameOf(entry: FeedEntry, actor: Actor): string {
  const admin = atLeast(actor.role, 'admin');
  let views = frames.get(entry);
  if (!views) frames.set(entry, (views = new Map()));
  let frame = views.get(admin);
  if (frame === undefined) {
    frame = `id: ${entry.id}\nevent: ${entry.event.action}\ndata: ${JSON.stringify(presentFor(actor, entry.event))}\n\n`;
    views.set(admin, frame);
  }
  return frame;
}

/** The last event of a stream the server ends because its token lost the right to it: a problem document, no id. */
export const FEED_END_EVENT = 'end';

function openStream(
  deps: AppDeps,
  actor: Actor,
  filter: FeedFilter,
  cursor: bigint,
  req: Request,
  res: Response,
  release: () => void,
): void {
  openSse(req, res);
  res.write(`retry: ${RETRY_MS}\n: feed of workspace ${actor.workspaceId} after ${cursor}\n\n`);

  let done = false;
  let unsubscribe = () => {};
  let unwatch = () => {};
  const end = () => {
    if (done) return;
    done = true;
    clearInterval(heartbeat);
    unsubscribe();
    unwatch();
    release();
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
  const sub: Subscriber = {
    actor,
    filter,
    cursor,
    deliver: (entry: FeedEntry) => write(frameOf(entry, sub.actor)),
    close: end,
  };
  unsubscribe = deps.feed.subscribe(sub);
  // What the stream may carry follows the token's authority now: a lowered role sees less from the next event on; a
  // token that may no longer read gets a last event saying why (the problem a reconnect would get) and the end.
  unwatch = deps.authority.watch({
    actor,
    changed: (next) => (sub.actor = next),
    refused: (err) => {
      write(`event: ${FEED_END_EVENT}\ndata: ${JSON.stringify(problemBody(err.code, err.message))}\n\n`);
      end();
    },
  });
  req.on('close', end);
  res.on('error', end);
}
