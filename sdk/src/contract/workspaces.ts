import { z } from 'zod';
import { DisplayName, Id, Role, Slug, Text, Timestamp } from './common.js';
import { route } from './route.js';

export const WorkspaceType = z.enum(['personal', 'team', 'enterprise']);
export type WorkspaceType = z.infer<typeof WorkspaceType>;
export const Plan = z.enum(['free', 'pro', 'enterprise']);
export type Plan = z.infer<typeof Plan>;

/** Limits follow from the workspace's type and plan; enterprise workspaces are on the enterprise plan only. */
export const planLimits: Record<WorkspaceType, Partial<Record<Plan, { maxMembers: number; maxPrompts: number }>>> = {
  personal: { free: { maxMembers: 1, maxPrompts: 2_000 }, pro: { maxMembers: 1, maxPrompts: 20_000 } },
  team: { free: { maxMembers: 10, maxPrompts: 2_000 }, pro: { maxMembers: 200, maxPrompts: 200_000 } },
  enterprise: { enterprise: { maxMembers: 100_000, maxPrompts: 10_000_000 } },
};

export const Workspace = z.object({
  id: Id,
  slug: Slug,
  name: z.string(),
  type: WorkspaceType,
  plan: Plan,
  limits: z.object({ maxMembers: z.number().int(), maxPrompts: z.number().int() }),
  usage: z.object({ members: z.number().int(), prompts: z.number().int() }).optional(),
  role: Role.describe("the caller's role in this workspace"),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Workspace = z.infer<typeof Workspace>;

export const WorkspaceRef = Text.min(1).max(64).describe('workspace id or slug');

export const CreateWorkspaceBody = z
  .strictObject({ slug: Slug, name: DisplayName, type: WorkspaceType.default('team'), plan: Plan.optional() })
  .refine((b) => planLimits[b.type][b.plan ?? defaultPlan(b.type)] !== undefined, {
    message: 'this plan is not offered for this workspace type',
    path: ['plan'],
  });

export function defaultPlan(type: WorkspaceType): Plan {
  return type === 'enterprise' ? 'enterprise' : 'free';
}

export const CreatedWorkspace = z.object({
  workspace: Workspace,
  token: z.object({ id: Id, secret: z.string().describe('an owner token for the new workspace, shown once') }),
});

export const workspaceRoutes = {
  listWorkspaces: route({
    method: 'GET',
    path: '/v1/workspaces',
    summary: "List the workspaces the token's user belongs to",
    tag: 'Workspaces',
    scope: 'read',
    response: z.object({ items: z.array(Workspace) }),
    status: 200,
  }),
  createWorkspace: route({
    method: 'POST',
    path: '/v1/workspaces',
    summary: 'Create a workspace; the caller becomes its owner and gets an owner token for it',
    tag: 'Workspaces',
    scope: 'admin',
    body: CreateWorkspaceBody,
    response: CreatedWorkspace,
    status: 201,
    problems: ['already_exists'],
  }),
  getWorkspace: route({
    method: 'GET',
    path: '/v1/workspaces/{workspace}',
    summary: "Get the token's workspace (by id or slug), with its limits and usage",
    tag: 'Workspaces',
    scope: 'read',
    params: z.strictObject({ workspace: WorkspaceRef }),
    response: Workspace,
    status: 200,
    problems: ['not_found'],
  }),
  updateWorkspace: route({
    method: 'PATCH',
    path: '/v1/workspaces/{workspace}',
    summary: 'Rename the workspace or change its slug (owners and admins)',
    tag: 'Workspaces',
    scope: 'admin',
    params: z.strictObject({ workspace: WorkspaceRef }),
    body: z
      .strictObject({ name: DisplayName.optional(), slug: Slug.optional() })
      .refine((b) => b.name !== undefined || b.slug !== undefined, { message: 'give name or slug' }),
    headers: ['If-Match'],
    response: Workspace,
    status: 200,
    problems: ['not_found', 'already_exists', 'precondition_failed'],
  }),
};
