import type { Role, Scope } from '@rocqet/sdk';
import type { Actor } from './actor.js';
import { fail } from './errors.js';

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

export function atLeast(role: Role, min: Role): boolean {
  return rank[role] >= rank[min];
}

/** The most a token of a member with this role may carry. */
export function maxScopes(role: Role): Scope[] {
  if (atLeast(role, 'admin')) return ['read', 'write', 'admin'];
  if (role === 'editor') return ['read', 'write'];
  return ['read'];
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
