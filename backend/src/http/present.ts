import { promptPath } from '../domain/prompts/resolve.js';
import type { CommitRow } from '../domain/prompts/store.js';
import type { ApiToken, AuditEntry, Commit, Folder, Member, Plan, Prompt, Role, Scope, Workspace, WorkspaceType } from '@rocqet/sdk';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function presentWorkspace(w: {
  id: string;
  slug: string;
  name: string;
  type: string;
  plan: string;
  maxMembers: number;
  maxPrompts: number;
  createdAt: Date;
  updatedAt: Date;
  role: string;
  usage?: { members: number; prompts: number };
}): Workspace {
  return {
    id: w.id,
    slug: w.slug,
    name: w.name,
    type: w.type as WorkspaceType,
    plan: w.plan as Plan,
    limits: { maxMembers: w.maxMembers, maxPrompts: w.maxPrompts },
    ...(w.usage ? { usage: w.usage } : {}),
    role: w.role as Role,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
  };
}

export function presentMember(m: {
  id: string;
  userId: string;
  role: string;
  createdAt: Date;
  updatedAt: Date;
  user: { email: string; name: string };
}): Member {
  return {
    id: m.id,
    userId: m.userId,
    email: m.user.email,
    name: m.user.name,
    role: m.role as Role,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

export function presentToken(t: {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  membershipId: string;
  createdById: string | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  membership: { userId: string; user: { email: string } };
}): ApiToken {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes as Scope[],
    memberId: t.membershipId,
    userId: t.membership.userId,
    email: t.membership.user.email,
    createdById: t.createdById,
    expiresAt: isoOrNull(t.expiresAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
    revokedAt: isoOrNull(t.revokedAt),
    createdAt: iso(t.createdAt),
  };
}

export function presentFolder(f: {
  id: string;
  name: string;
  parentId: string | null;
  path: string;
  createdAt: Date;
  updatedAt: Date;
}): Folder {
  return {
    id: f.id,
    name: f.name,
    parentId: f.parentId,
    path: f.path,
    createdAt: iso(f.createdAt),
    updatedAt: iso(f.updatedAt),
  };
}

/** An audit row as the database gives it, with the emails of its actor and of whoever minted the acting token. */
export interface AuditRow {
  id: bigint;
  action: string;
  resourceType: string;
  resourceId: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  actorMintedById: string | null;
  email: string | null;
  mintedByEmail: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  changes: unknown;
  createdAt: Date;
}

export function presentAudit(a: AuditRow): AuditEntry {
  return {
    id: a.id.toString(),
    action: a.action,
    resourceType: a.resourceType,
    resourceId: a.resourceId,
    actor: {
      userId: a.actorUserId,
      tokenId: a.actorTokenId,
      email: a.email,
      mintedByUserId: a.actorMintedById,
      mintedByEmail: a.mintedByEmail,
    },
    ip: a.ip,
    userAgent: a.userAgent,
    requestId: a.requestId,
    changes: (a.changes ?? {}) as Record<string, unknown>,
    createdAt: iso(a.createdAt),
  };
}

export function presentCommit(
  c: Pick<CommitRow, 'id' | 'seq' | 'parentId' | 'mergeParentId' | 'message' | 'authorId' | 'authorName' | 'createdAt' | 'contentHash' | 'size'>,
): Commit {
  return {
    id: c.id,
    seq: c.seq,
    parentId: c.parentId,
    mergeParentId: c.mergeParentId,
    message: c.message,
    author: { id: c.authorId, name: c.authorName },
    createdAt: iso(c.createdAt),
    contentHash: Buffer.from(c.contentHash).toString('hex'),
    size: c.size,
  };
}

export function presentPrompt(
  p: {
    id: string;
    slug: string;
    title: string;
    description: string;
    tags: string[];
    folderId: string | null;
    defaultBranch: string;
    headCommitId: string | null;
    viewCount: bigint;
    renderCount: bigint;
    createdAt: Date;
    updatedAt: Date;
    deletedAt: Date | null;
  },
  folders: Map<string, { path: string }>,
): Prompt {
  return {
    id: p.id,
    slug: p.slug,
    path: promptPath(p, folders),
    title: p.title,
    description: p.description,
    tags: p.tags,
    folderId: p.folderId,
    defaultBranch: p.defaultBranch,
    headCommitId: p.headCommitId,
    usage: { views: Number(p.viewCount), renders: Number(p.renderCount) },
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    deletedAt: isoOrNull(p.deletedAt),
  };
}

export function presentBranch(b: { name: string; head: Parameters<typeof presentCommit>[0]; isDefault: boolean; updatedAt: Date }) {
  return { name: b.name, head: presentCommit(b.head), isDefault: b.isDefault, updatedAt: iso(b.updatedAt) };
}

export function presentTag(t: { name: string; commit: Parameters<typeof presentCommit>[0]; message: string; createdAt: Date }) {
  return { name: t.name, commit: presentCommit(t.commit), message: t.message, createdAt: iso(t.createdAt) };
}
