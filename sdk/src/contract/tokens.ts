import { z } from 'zod';
import { DisplayName, Id, PageQuery, Role, Scope, Timestamp, page } from './common.js';
import { route } from './route.js';

export const ApiToken = z.object({
  id: Id,
  name: z.string(),
  prefix: z.string().describe('the visible start of the secret, to recognise it'),
  scopes: z.array(Scope),
  memberId: Id,
  userId: Id,
  email: z.string(),
  createdById: Id.nullable().describe('who created it, and so holds its secret; it never outranks them'),
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type ApiToken = z.infer<typeof ApiToken>;

export const CreateTokenBody = z
  .strictObject({
    name: DisplayName,
    scopes: z.array(Scope).min(1, 'give at least one scope').max(3),
    memberId: Id.optional().describe(
      'create it for a member below your role (an integration, or a person receiving their first token); defaults to the caller',
    ),
    expiresAt: Timestamp.optional(),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .refine((b) => !(b.expiresAt && b.expiresInDays), { message: 'give expiresAt or expiresInDays, not both' })
  .refine((b) => new Set(b.scopes).size === b.scopes.length, { message: 'scopes must not repeat', path: ['scopes'] });

/** Who a token acts as: what a client needs to decide which actions to offer (the MCP server's write tools). */
export const Me = z.object({
  userId: Id,
  email: z.string(),
  name: z.string(),
  workspaceId: Id,
  role: Role,
  tokenId: Id.nullable(),
  scopes: z.array(Scope),
});
export type Me = z.infer<typeof Me>;

export const tokenRoutes = {
  me: route({
    method: 'GET',
    path: '/v1/me',
    summary: "Who the token acts as: user, workspace, role and the token's scopes",
    tag: 'Tokens',
    scope: 'read',
    response: Me,
    status: 200,
  }),
  listTokens: route({
    method: 'GET',
    path: '/v1/tokens',
    summary: "List API tokens: everyone's with the admin scope, otherwise your own (any token may); secrets are never shown again",
    tag: 'Tokens',
    scope: 'any',
    query: PageQuery,
    response: page(ApiToken),
    status: 200,
    problems: ['invalid_cursor'],
  }),
  createToken: route({
    method: 'POST',
    path: '/v1/tokens',
    summary: 'Create an API token; the answer holds the secret, shown this once',
    tag: 'Tokens',
    scope: 'admin',
    body: CreateTokenBody,
    response: z.object({ token: ApiToken, secret: z.string() }),
    status: 201,
    problems: ['forbidden', 'not_found'],
  }),
  revokeToken: route({
    method: 'DELETE',
    path: '/v1/tokens/{id}',
    summary: "Revoke an API token: your own with any token, another member's with the admin scope",
    tag: 'Tokens',
    scope: 'any',
    params: z.strictObject({ id: Id }),
    status: 204,
    problems: ['not_found', 'forbidden', 'insufficient_scope'],
  }),
};
