import type { Role, Scope } from '@rocqet/sdk';

/**
 * Who is acting, in which workspace, through which token (and whose it is) and from where: everything a policy or
 * audit needs. `role` and `scopes` are what the request may do now, not what was granted once.
 */
export interface Actor {
  workspaceId: string;
  userId: string;
  membershipId: string;
  tokenId: string | null;
  /**
   * The person behind the token: who created it and so holds its secret. The member itself for its own tokens;
   * someone else for a token created for them. Absent without a token (the process acting for itself).
   */
  mintedByUserId?: string | null;
  role: Role;
  scopes: readonly Scope[];
  email: string;
  name: string;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}
