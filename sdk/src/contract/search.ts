import { z } from 'zod';
import { Cursor, Id, Text, Timestamp, repeated } from './common.js';
import { Prompt, TagName } from './prompts.js';
import { route } from './route.js';

export const SearchMode = z.enum(['hybrid', 'fulltext', 'semantic'], { error: 'must be hybrid, fulltext or semantic' });
export type SearchMode = z.infer<typeof SearchMode>;

export const SearchQuery = z.strictObject({
  q: Text.trim()
    .min(1, 'must not be empty')
    .max(500, 'must be at most 500 characters')
    .describe('words, "quoted phrases", -excluded, or: web-search syntax; plain queries forgive typos and take the last word as a prefix'),
  mode: SearchMode.default('hybrid'),
  folder: Text.min(1, 'must not be empty')
    .max(1000)
    .optional()
    .describe('a folder id or path: results from it and its subfolders'),
  tag: repeated(TagName).optional().describe('prompts carrying all these tags'),
  author: Id.optional().describe('prompts created by this user id'),
  updatedSince: Timestamp.optional().describe('prompts changed at or after this time (ISO 8601 with offset)'),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(20),
  cursor: Cursor.optional(),
});

export const MatchedBy = z.enum(['fulltext', 'trigram', 'semantic']);

export const SearchHit = Prompt.pick({
  id: true,
  slug: true,
  path: true,
  title: true,
  description: true,
  tags: true,
  folderId: true,
  createdAt: true,
  updatedAt: true,
}).extend({
  createdById: Id.nullable(),
  score: z.number().describe('higher is better; comparable within one result list only'),
  snippet: z.string().describe('HTML-escaped text; matched words are wrapped in <mark>…</mark>'),
  matchedBy: z.array(MatchedBy),
});
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchResponse = z.object({
  items: z.array(SearchHit),
  facets: z.object({
    tags: z.array(z.object({ tag: z.string(), count: z.number().int() })),
    folders: z.array(z.object({ folderId: Id.nullable(), path: z.string(), count: z.number().int() })),
  }),
  nextCursor: z.string().nullable(),
  mode: SearchMode.describe('the mode that ran (hybrid falls back to fulltext when embeddings are unavailable)'),
  pending: z.number().int().describe('prompts whose embeddings are not computed yet'),
  total: z.number().int().describe('results in the ranked list the facets count (at most 1,000)'),
  corrected: z
    .string()
    .nullable()
    .describe('the query with its misspelt words corrected, as the best full-text match holds them ("showing results for …"); null when no word was corrected'),
});
export type SearchResponse = z.infer<typeof SearchResponse>;

export const SearchStatus = z.object({
  pending: z.number().int().describe('index jobs not done yet'),
  failed: z.number().int().describe('pending jobs whose last attempt failed (they are retried with backoff)'),
  embedded: z.number().int().describe('live prompts with an embedding of the current model'),
  total: z.number().int().describe('live prompts'),
  model: z.string().nullable().describe('the embedding model in use; null when semantic search is off'),
  lastError: z.string().nullable(),
});
export type SearchStatus = z.infer<typeof SearchStatus>;

export const searchRoutes = {
  search: route({
    method: 'GET',
    path: '/v1/search',
    summary: 'Search the workspace: hybrid (full text + semantic), full text or semantic, with filters and facets',
    tag: 'Search',
    scope: 'read',
    query: SearchQuery,
    response: SearchResponse,
    status: 200,
    problems: ['not_found', 'invalid_cursor', 'unavailable'],
  }),
  searchStatus: route({
    method: 'GET',
    path: '/v1/search/status',
    summary: 'How far the search index is: pending and failed jobs, embedded prompts, the model',
    tag: 'Search',
    scope: 'read',
    response: SearchStatus,
    status: 200,
  }),
};
