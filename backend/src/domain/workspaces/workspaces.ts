import { defaultPlan, planLimits, type Plan, type WorkspaceType } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import { sqlRows, type Queryable } from '../../db/sql.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail, notFound } from '../errors.js';
import { isHandedOver, requireOwnToken, requireRole } from '../policy.js';
import { newTokenSecret } from '../tokens/secret.js';

export interface CreateWorkspaceInput {
  slug: string;
  name: string;
  type: WorkspaceType;
  plan?: Plan | undefined;
}

function limitsFor(type: WorkspaceType, plan: Plan) {
  return planLimits[type][plan] ?? fail('validation_failed', `the ${plan} plan is not offered for ${type} workspaces`);
}

/**
 * Creates a workspace with `ownerUserId` as its owner and an owner token (all scopes) for it. The audit entry goes
 * into the new workspace, attributed to the acting token when there is one.
 */
export async function createWorkspace(tx: Tx, actor: Actor | null, ownerUserId: string, input: CreateWorkspaceInput) {
  // Its owner token would go to whoever holds the acting token: for a token someone else created, not its member.
  if (actor) requireOwnToken(actor, 'creating a workspace');
  const plan = input.plan ?? defaultPlan(input.type);
  const limits = limitsFor(input.type, plan);
  if (await tx.workspace.findUnique({ where: { slug: input.slug } })) {
    fail('already_exists', `a workspace with slug "${input.slug}" already exists`);
  }
  const workspace = await tx.workspace.create({
    data: { slug: input.slug, name: input.name, type: input.type, plan, ...limits },
  });
  const membership = await tx.membership.create({
    data: { workspaceId: workspace.id, userId: ownerUserId, role: 'owner' },
  });
  const { secret, prefix, hash } = newTokenSecret();
  const token = await tx.apiToken.create({
    data: {
      workspaceId: workspace.id,
      membershipId: membership.id,
      name: 'Owner token',
      prefix,
      secretHash: hash,
      scopes: ['read', 'write', 'admin'],
      createdById: ownerUserId,
    },
  });
  await recordAudit(tx, actor, {
    workspaceId: workspace.id,
    action: 'workspace.create',
    resourceType: 'workspace',
    resourceId: workspace.id,
    changes: { after: { slug: workspace.slug, name: workspace.name, type: workspace.type, plan } },
  });
  return { workspace, membership, token, secret };
}

export type BootstrapInput = CreateWorkspaceInput & { owner: { email: string; name: string } };

/** For the demo and tests: a workspace whose owner is found or created by email. */
export async function bootstrapWorkspace(db: Db, input: BootstrapInput) {
  return inTransaction(db, (tx) => bootstrapWorkspaceIn(tx, input));
}

/** bootstrapWorkspace inside the caller's transaction. */
export async function bootstrapWorkspaceIn(tx: Tx, input: BootstrapInput) {
  const user = await tx.user.upsert({
    where: { email: input.owner.email.toLowerCase() },
    create: { email: input.owner.email.toLowerCase(), name: input.owner.name },
    update: {},
  });
  return { user, ...(await createWorkspace(tx, null, user.id, input)) };
}

/** The member's workspaces; through a token someone else created for them, only that token's workspace. */
export async function listMyWorkspaces(db: Db, actor: Actor) {
  const memberships = await db.membership.findMany({
    where: { userId: actor.userId, ...(isHandedOver(actor) ? { workspaceId: actor.workspaceId } : {}) },
    include: { workspace: true },
    orderBy: { createdAt: 'asc' },
  });
  return memberships.map((m) => ({ ...m.workspace, role: m.role }));
}

/** Only the token's own workspace is visible through it; any other answers exactly like a missing one. */
export const WORKSPACE_QUERY =
  `SELECT w.id, w.slug, w.name, w.type::text AS type, w.plan, w.max_members AS "maxMembers",
            w.max_prompts AS "maxPrompts", w.created_at AS "createdAt", w.updated_at AS "updatedAt",
            (SELECT count(*)::int FROM membership m WHERE m.workspace_id = w.id) AS members,
            (SELECT count(*)::int FROM prompt p WHERE p.workspace_id = w.id AND p.deleted_at IS NULL) AS prompts
       FROM workspace w WHERE w.id = $1::uuid`;

export async function getWorkspace(db: Queryable, actor: Actor, ref: string) {
  const rows = await sqlRows<WorkspaceRow & { members: number; prompts: number }>(
    db,
    WORKSPACE_QUERY,
    [actor.workspaceId],
  );
  const row = rows[0];
  if (!row || (ref !== row.id && ref !== row.slug)) notFound('workspace');
  const { members, prompts, ...workspace } = row;
  return { ...workspace, role: actor.role, usage: { members, prompts } };
}

interface WorkspaceRow {
  id: string;
  slug: string;
  name: string;
  type: WorkspaceType;
  plan: string;
  maxMembers: number;
  maxPrompts: number;
  createdAt: Date;
  updatedAt: Date;
}

export async function updateWorkspace(
  tx: Tx,
  actor: Actor,
  ref: string,
  input: { name?: string | undefined; slug?: string | undefined },
  precondition?: (current: Awaited<ReturnType<typeof getWorkspace>>) => void,
) {
  const before = await getWorkspace(tx, actor, ref);
  requireRole(actor, 'admin', 'changing the workspace');
  precondition?.(before);
  // Like every other update, one that changes nothing writes nothing (no audit entry, no new updatedAt).
  const renames = input.name !== undefined && input.name !== before.name;
  const moves = input.slug !== undefined && input.slug !== before.slug;
  if (!renames && !moves) return before;
  if (input.slug !== undefined && input.slug !== before.slug) {
    if (await tx.workspace.findUnique({ where: { slug: input.slug } })) {
      fail('already_exists', `a workspace with slug "${input.slug}" already exists`);
    }
  }
  const workspace = await tx.workspace.update({
    where: { id: before.id },
    data: { ...input, updatedAt: new Date() },
  });
  await recordAudit(tx, actor, {
    action: 'workspace.update',
    resourceType: 'workspace',
    resourceId: workspace.id,
    changes: { before: { name: before.name, slug: before.slug }, after: { name: workspace.name, slug: workspace.slug } },
  });
  return { ...workspace, role: actor.role, usage: before.usage };
}
