import { z } from 'zod';
import { DisplayName, Email, Id, PageQuery, Role, Timestamp, page } from './common.js';
import { route } from './route.js';

export const Member = z.object({
  id: Id.describe('membership id'),
  userId: Id,
  email: z.string(),
  name: z.string(),
  role: Role,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Member = z.infer<typeof Member>;

const MemberParams = z.strictObject({ id: Id });

export const memberRoutes = {
  listMembers: route({
    method: 'GET',
    path: '/v1/members',
    summary: 'List the members of the workspace',
    tag: 'Members',
    scope: 'read',
    query: PageQuery,
    response: page(Member),
    status: 200,
    problems: ['invalid_cursor'],
  }),
  addMember: route({
    method: 'POST',
    path: '/v1/members',
    summary: 'Add a person by email (creating their user if new) with a role',
    tag: 'Members',
    scope: 'admin',
    body: z.strictObject({ email: Email, name: DisplayName.optional(), role: Role }),
    response: Member,
    status: 201,
    problems: ['already_exists', 'limit_exceeded', 'forbidden'],
  }),
  updateMember: route({
    method: 'PATCH',
    path: '/v1/members/{id}',
    summary: "Change a member's role; the last owner cannot be demoted",
    tag: 'Members',
    scope: 'admin',
    params: MemberParams,
    body: z.strictObject({ role: Role }),
    response: Member,
    status: 200,
    problems: ['not_found', 'last_owner', 'forbidden'],
  }),
  removeMember: route({
    method: 'DELETE',
    path: '/v1/members/{id}',
    summary: 'Remove a member (and revoke their tokens); the last owner cannot be removed',
    tag: 'Members',
    scope: 'admin',
    params: MemberParams,
    status: 204,
    problems: ['not_found', 'last_owner', 'forbidden'],
  }),
};
