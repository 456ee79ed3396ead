import { z } from 'zod';
import { AuditEntry } from './audit.js';
import { Id, Text } from './common.js';
import { route } from './route.js';

/** What a client needs to invalidate: the prompt an entry is about, where it lives, and the ref it moved. */
export const FeedSubject = z.object({
  promptId: Id.nullable().describe('the prompt the entry is about, if any'),
  path: z.string().nullable().describe("the prompt's path (folder/sub/slug) when the event was delivered"),
  folderId: Id.nullable().describe("the folder the entry is about, or the prompt's folder (null: the root)"),
  branch: z.string().nullable().describe('the branch that moved, was created, renamed or deleted'),
  tag: z.string().nullable().describe('the tag that was created, moved or deleted'),
});
export type FeedSubject = z.infer<typeof FeedSubject>;

/** The `data:` of one feed event: the audit entry as the audit API presents it, plus its subject. */
export const FeedEvent = AuditEntry.extend({ subject: FeedSubject });
export type FeedEvent = z.infer<typeof FeedEvent>;

/** An audit id: a decimal bigint. */
export const FeedCursor = z
  .string()
  .refine((s) => /^\d{1,19}$/.test(s) && BigInt(s) <= 9_223_372_036_854_775_807n, 'must be an event id');

export const FeedQuery = z.strictObject({
  after: FeedCursor.optional().describe(
    'resume after this event id (the Last-Event-ID header wins when both are given); without either, the feed starts now',
  ),
  prompt: Text.min(1).max(1000).optional().describe('only events about this prompt (id or path)'),
  folder: Id.optional().describe('only events about this folder, its subfolders and the prompts in them'),
  types: z
    .string()
    .max(1000)
    .regex(/^[a-z_]+(\.[a-z_]+)?(,[a-z_]+(\.[a-z_]+)?)*$/, 'must be comma-separated actions or prefixes: prompt,tag.move')
    .optional()
    .describe('only these actions: "prompt.commit" exactly, "prompt" for every prompt.* action; comma-separated'),
});

export const FEED_EVENT_STREAM = 'text/event-stream';

/**
 * The name of the last event of a stream the server ends because its token lost the right to it (revoked, expired,
 * its member removed or its creator gone, the read scope lost): no `id:`, `data:` the problem document a reconnect
 * would be refused with. Reconnecting does not help.
 */
export const FEED_END_EVENT = 'end';

export const eventRoutes = {
  streamEvents: route({
    method: 'GET',
    path: '/v1/events',
    summary: 'The change feed: the workspace’s audit entries as they commit, as Server-Sent Events',
    tag: 'Events',
    scope: 'read',
    query: FeedQuery,
    headers: ['Last-Event-ID'],
    produces: FEED_EVENT_STREAM,
    response: z.string().describe(
      'An SSE stream. Each event: `id:` the audit id (strictly increasing, in commit order), `event:` the action ' +
        '(prompt.commit, tag.move, folder.rename, …), `data:` one JSON FeedEvent (the audit entry plus `subject`: ' +
        'promptId, path, folderId, branch, tag). Comment lines (`: ping`) are heartbeats. Reconnect with ' +
        '`Last-Event-ID` (or `?after=`) to resume with no gap and no duplicate; 410 feed_cursor_expired when that id ' +
        'is older than the replay window (ROCQET_FEED_REPLAY, default 7 days) or not an event of this workspace: ' +
        'drop what you cached and subscribe afresh. The stream follows the token\'s authority while open: a lowered ' +
        'role sees less from the next event on, and a token that may no longer read (revoked, expired, member removed, ' +
        'creator gone, read scope lost) gets a last event `event: end` without an id whose `data:` is the problem ' +
        'document (token_revoked, token_expired, invalid_token, insufficient_scope), then the stream ends.',
    ),
    status: 200,
    problems: ['feed_cursor_expired', 'not_found'],
  }),
};

/** Routes that stream: the generic client skips them (the feed has its own client, `subscribeEvents`). */
export const streamingRouteIds = ['streamEvents'] as const;
export type StreamingRouteId = (typeof streamingRouteIds)[number];
