import { createClient, RocqetError, type Client } from '@rocqet/sdk';
import type pg from 'pg';
import { forgetUserLink, getTeamLink, getUserLink, saveUserLink, type TeamLink, type UserLink } from './store/links.js';
import type { Sealer } from './store/sealer.js';

/** What Slack says about a user (users.info), as far as mapping to a member needs. */
export interface SlackUser {
  email: string | undefined;
  emailConfirmed: boolean;
  isAdmin: boolean;
  isBot: boolean;
  deleted: boolean;
}

/**
 * How a Slack user reaches the library. Every mapped member acts through a token minted for them by the linking
 * admin's token (createToken with memberId), so the backend audits their writes as them ("created by" the admin)
 * and caps them at their own role on every request. Everyone else reads through the team's read-only token.
 */
export interface Access {
  link: TeamLink;
  /** The member's own client, or the team's read-only one. */
  reader: Client;
  /** Present only for a mapped member whose role writes. */
  writer: Client | undefined;
  user: UserLink;
  /** Why `writer` is missing, said to the user when they try to write. */
  whyReadOnly: string;
}

export class NotLinkedError extends Error {
  constructor() {
    super('This Slack workspace is not linked to a Rocqet workspace yet: a Slack admin runs `/rocqet link` with a Rocqet admin token.');
    this.name = 'NotLinkedError';
  }
}

/** How long a resolved mapping is trusted before users.info and the member list are asked again. */
const RECHECK_MS = 60 * 60_000;
const TOKEN_DAYS = 90;

export interface AccessDeps {
  pool: pg.Pool;
  box: () => Sealer;
  backendUrl: () => string;
  usersInfo(teamId: string, userId: string): Promise<SlackUser>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function libraryClient(deps: Pick<AccessDeps, 'backendUrl' | 'fetch' | 'timeoutMs'>, token: string): Client {
  return createClient({
    baseUrl: deps.backendUrl(),
    token,
    userAgent: 'rocqet-slack/0.1',
    timeoutMs: deps.timeoutMs ?? 10_000,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
}

export async function teamLink(deps: AccessDeps, teamId: string): Promise<TeamLink> {
  const link = await getTeamLink(deps.pool, deps.box(), teamId);
  if (!link) throw new NotLinkedError();
  return link;
}

export async function resolveAccess(deps: AccessDeps, teamId: string, slackUserId: string): Promise<Access> {
  const link = await teamLink(deps, teamId);
  let user = await getUserLink(deps.pool, deps.box(), teamId, slackUserId);
  if (!user || user.workspaceId !== link.workspaceId || Date.now() - user.checkedAt.getTime() > RECHECK_MS) {
    user = await mapUser(deps, link, slackUserId, user);
  }
  return accessOf(deps, link, user);
}

/** After the backend refused a member's token (revoked, expired, member removed): map the user afresh, once. */
export async function refreshAccess(deps: AccessDeps, access: Access): Promise<Access> {
  await forgetUserLink(deps.pool, access.link.teamId, access.user.slackUserId);
  const user = await mapUser(deps, access.link, access.user.slackUserId, undefined);
  return accessOf(deps, access.link, user);
}

function accessOf(deps: AccessDeps, link: TeamLink, user: UserLink): Access {
  const own = user.token ? libraryClient(deps, user.token) : undefined;
  const writes = Boolean(own && (user.role === 'editor' || user.role === 'admin' || user.role === 'owner'));
  return {
    link,
    user,
    reader: own ?? libraryClient(deps, link.readerToken),
    writer: writes ? own : undefined,
    whyReadOnly: writes
      ? ''
      : user.whyNoToken ??
        (user.memberId ? `Your Rocqet role (${user.role}) reads but does not write.` : 'You can search and share, but not write.'),
  };
}

async function mapUser(deps: AccessDeps, link: TeamLink, slackUserId: string, previous: UserLink | undefined): Promise<UserLink> {
  const base = { teamId: link.teamId, slackUserId, workspaceId: link.workspaceId };
  const unmapped = (email: string | null, why: string): UserLink => ({
    ...base, email, memberId: null, userId: null, role: null, tokenId: null, token: null, whyNoToken: why, checkedAt: new Date(),
  });
  const slackUser = await deps.usersInfo(link.teamId, slackUserId);
  let result: UserLink;
  if (slackUser.deleted || slackUser.isBot) result = unmapped(null, 'Bots and deactivated users read only.');
  else if (!slackUser.email || !slackUser.emailConfirmed) {
    result = unmapped(null, 'Your Slack email is not verified, so the app cannot tell which Rocqet member you are: you can read, not write.');
  } else {
    const email = slackUser.email.toLowerCase();
    const admin = libraryClient(deps, link.adminToken);
    const member = await findMember(admin, email);
    if (!member) {
      result = unmapped(email, `No member of "${link.workspaceName}" has your Slack email (${email}): you can read, not write. Ask an admin to add you.`);
    } else if (previous?.token && previous.memberId === member.id && previous.workspaceId === link.workspaceId && previous.role === member.role) {
      // The same member in the same role: the token minted for them still fits (a promotion mints one with write).
      result = { ...previous, email, role: member.role, checkedAt: new Date() };
    } else {
      result = { ...base, email, memberId: member.id, userId: member.userId, role: member.role, tokenId: null, token: null, whyNoToken: null, checkedAt: new Date() };
      try {
        const scopes: ('read' | 'write')[] = member.role === 'viewer' ? ['read'] : ['read', 'write'];
        const minted = await admin.createToken({
          body: { name: `Slack ${link.teamId}/${slackUserId}`, scopes, memberId: member.id, expiresInDays: TOKEN_DAYS },
        });
        result.token = minted.secret;
        result.tokenId = minted.token.id;
      } catch (err) {
        if (!(err instanceof RocqetError) || (err.code !== 'forbidden' && err.code !== 'insufficient_scope')) throw err;
        // A token for a member is minted only for members below the linking admin: peers and superiors read.
        result.whyNoToken =
          `Your Rocqet role (${member.role}) is not below that of the admin who linked this Slack workspace, so the app ` +
          'cannot act as you; you can read. An owner linking it with `/rocqet link` lets the app act for admins too.';
      }
    }
  }
  await saveUserLink(deps.pool, deps.box(), result);
  return result;
}

async function findMember(admin: Client, email: string) {
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await admin.listMembers({ query: { limit: 100, ...(cursor ? { cursor } : {}) } });
    const found = res.items.find((m) => m.email.toLowerCase() === email);
    if (found) return found;
    if (!res.nextCursor) return undefined;
    cursor = res.nextCursor;
  }
  return undefined;
}
