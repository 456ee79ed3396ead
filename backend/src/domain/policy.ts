import type { Role, Scope } from '@rocqet/sdk';
import type { Actor } from './actor.js';
import { fail } from './errors.js';

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

export function atLeast(role: Role, min: Role): boolean {
  return rank[role] >= rank[min];
}

export function lowerRole(a: Role, b: Role): Role {
  return rank[a] <= rank[b] ? a : b;
}

/** The most a token of a member with this role may carry. */
export function maxScopes(role: Role): Scope[] {
  if (atLeast(role, 'admin')) return ['read', 'write', 'admin'];
  if (role === 'editor') return ['read', 'write'];
  return ['read'];
}

/** A token's scopes as far as `role` allows them, in the token's order. */
export function scopesWithin(scopes: readonly Scope[], role: Role): Scope[] {
  const allowed = maxScopes(role);
  return scopes.filter((s) => allowed.includes(s));
}

export function requireRole(actor: Actor, min: Role, doing: string): void {
  if (!atLeast(actor.role, min)) fail('forbidden', `${doing} needs the ${min} role; you are ${actor.role}`);
}

export function requireScope(actor: Actor, scope: Scope): void {
  if (!actor.scopes.includes(scope)) {
    fail('insufficient_scope', `this needs a token with the "${scope}" scope; this one has ${actor.scopes.join(', ')}`);
  }
}

/** Editors and above change content; viewers read only. */
export function requireWrite(actor: Actor, doing: string): void {
  requireRole(actor, 'editor', doing);
}

/**
 * Managing a member (changing their role, removing them, revoking their tokens) only ever takes authority away from
 * them, so admins manage anyone but owners, and owners manage everyone.
 */
export function requireAuthorityOver(actor: Actor, member: { role: Role }, doing: string): void {
  requireRole(actor, 'admin', doing);
  if (member.role === 'owner') requireRole(actor, 'owner', `${doing} for an owner`);
}

/** Nobody hands out a role above their own; only owners make owners. */
export function requireCanGrant(actor: Actor, role: Role, doing: string): void {
  requireRole(actor, 'admin', doing);
  if (!atLeast(actor.role, role)) fail('forbidden', `${doing}: you cannot grant the ${role} role; you are ${actor.role}`);
}

/**
 * Acting as a member is a stronger power than managing them: a token created for someone lets its holder do what
 * they may, under their name. So it is only for members strictly below the creator (an admin for editors and viewers,
 * an owner for admins too), never for a peer or a superior.
 */
export function requireMayActAs(actor: Actor, member: { role: Role }, doing: string): void {
  requireRole(actor, 'admin', doing);
  if (rank[member.role] >= rank[actor.role]) {
    fail('forbidden', `${doing}: a ${actor.role} may create tokens only for members below their own role, not for a ${member.role}`);
  }
}

/** Whether the token was created by someone other than the member it acts as (its secret is theirs, not the member's). */
export function isHandedOver(actor: Actor): boolean {
  return actor.mintedByUserId != null && actor.mintedByUserId !== actor.userId;
}

/** The person a new token or change is credited to as its creator: whoever holds the acting token's secret. */
export function personBehind(actor: Actor): string {
  return actor.mintedByUserId ?? actor.userId;
}

/** What only the member in person may do, never the holder of a token someone else created for them. */
export function requireOwnToken(actor: Actor, doing: string): void {
  if (isHandedOver(actor)) fail('forbidden', `${doing} needs a token of your own, not one another member created for you`);
}
