import type { Role, Scope } from '@rocqet/sdk';

/** Who is acting, in which workspace, through which token and from where: everything a policy or audit needs. */
export interface Actor {
  workspaceId: string;
  userId: string;
  membershipId: string;
  tokenId: string | null;
  role: Role;
  scopes: readonly Scope[];
  email: string;
  name: string;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}
