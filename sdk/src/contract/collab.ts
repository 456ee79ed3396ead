import { z } from 'zod';
import { Id, Timestamp } from './common.js';
import { Commit, DiffHunk, PromptRef, RefName } from './prompts.js';
import { route } from './route.js';

/** The name of the Y.Text that holds a draft's text in its Yjs document (editors bind to it). */
export const DRAFT_TEXT = 'content';
/** The Y.Map the server keeps draft facts in, and its key holding the commit id the draft is based on. */
export const DRAFT_META = 'rocqet';
export const DRAFT_BASE_KEY = 'base';

export const CollabTicketBody = z.strictObject({
  prompt: PromptRef,
  branch: RefName.optional().describe("defaults to the prompt's default branch"),
});

export const CollabTicket = z.object({
  ticket: z.string().describe('single use; pass it as the `ticket` query parameter of the websocket URL'),
  expiresAt: Timestamp,
  url: z.string().describe('the websocket URL with the ticket in its query, ready to open'),
  serverUrl: z.string().describe("y-websocket's serverUrl (…/collab)"),
  room: z.string().describe("y-websocket's roomname: <promptId>/<branch>"),
});

export const DraftPresence = z.object({
  userId: Id,
  name: z.string(),
  color: z.string(),
  role: z.string(),
  connections: z.number().int(),
});

export const Draft = z.object({
  branch: z.string(),
  /** The commit the draft is based on (the branch head once the server has caught up with it). */
  base: Commit,
  dirty: z.boolean().describe('the draft text differs from the branch head'),
  content: z.string(),
  presence: z.array(DraftPresence),
  updatedAt: Timestamp.nullable().describe('when the draft was last stored; null if never'),
  diff: z.object({
    unified: z.string(),
    hunks: z.array(DiffHunk),
    stats: z.object({ additions: z.number().int(), deletions: z.number().int() }),
  }),
});

export const collabRoutes = {
  createCollabTicket: route({
    method: 'POST',
    path: '/v1/collab/tickets',
    summary: 'A single-use, short-lived ticket to open a draft websocket without an Authorization header',
    tag: 'Collaboration',
    scope: 'read',
    body: CollabTicketBody,
    response: CollabTicket,
    status: 201,
    problems: ['not_found', 'ref_not_found'],
  }),
  getDraft: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}/branches/{name}/draft',
    summary: "A branch's collaborative draft: whether it is dirty, who is in it, its diff against the head",
    tag: 'Collaboration',
    scope: 'read',
    params: z.strictObject({ prompt: PromptRef, name: RefName }),
    response: Draft,
    status: 200,
    problems: ['not_found', 'ref_not_found'],
  }),
};
