import type { Request, Response } from 'express';
import type { Actor } from '../domain/actor.js';
import { fail } from '../domain/errors.js';
import { authenticateToken } from '../domain/tokens/authenticate.js';
import { hashTokenSecret } from '../domain/tokens/secret.js';
import type { AppDeps } from './context.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The workspace of each bearer secret that has authenticated in this app, by the secret's hash. A token's workspace
 * never changes, so this is a fact about the secret, not authority (that is decided by authenticate on every
 * request). It lets a route start reads scoped to that workspace while authentication runs (bind.ts bindEarly).
 */
const workspaceOfSecret = new WeakMap<AppDeps, Map<string, string>>();
const MAX_HINTS = 10_000;

const hintKey = (secret: string) => Buffer.from(hashTokenSecret(secret)).toString('base64');

/** The workspace of the request's bearer secret if it has authenticated here before; undefined otherwise. */
export function workspaceHint(req: Request, deps: AppDeps): string | undefined {
  const secret = BEARER.exec(req.get('authorization') ?? '')?.[1];
  return secret === undefined ? undefined : workspaceOfSecret.get(deps)?.get(hintKey(secret));
}

function rememberWorkspace(deps: AppDeps, secret: string, workspaceId: string): void {
  let hints = workspaceOfSecret.get(deps);
  if (!hints) workspaceOfSecret.set(deps, (hints = new Map()));
  const key = hintKey(secret);
  if (hints.get(key) === workspaceId) return;
  if (hints.size >= MAX_HINTS) hints.delete(hints.keys().next().value!);
  hints.set(key, workspaceId);
}

/** Resolves the bearer token, applies the per-token rate limit and stamps the request's origin onto the actor. */
export async function authenticate(req: Request, res: Response, deps: AppDeps): Promise<Actor> {
  const header = req.get('authorization');
  if (!header) {
    await limit(res, deps, `ip:${req.ip}`);
    fail('unauthenticated', 'send an API token: Authorization: Bearer rq_…');
  }
  const match = BEARER.exec(header);
  if (!match?.[1]) {
    await limit(res, deps, `ip:${req.ip}`);
    fail('unauthenticated', 'the Authorization header must be "Bearer <token>"');
  }
  let actor: Actor;
  try {
    actor = await authenticateToken(deps.pool, match[1]);
  } catch (err) {
    await limit(res, deps, `ip:${req.ip}`);
    throw err;
  }
  rememberWorkspace(deps, match[1], actor.workspaceId);
  await limit(res, deps, `token:${actor.tokenId}`);
  res.locals.tokenId = actor.tokenId;
  return {
    ...actor,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
    requestId: (res.locals.requestId as string | undefined) ?? null,
  };
}

async function limit(res: Response, deps: AppDeps, key: string): Promise<void> {
  const d = await deps.rateLimiter.hit(key);
  res.set({
    'RateLimit-Limit': String(d.limit),
    'RateLimit-Remaining': String(d.remaining),
    'RateLimit-Reset': String(d.resetSeconds),
  });
  if (!d.allowed) {
    res.set('Retry-After', String(d.resetSeconds));
    fail('rate_limited', `at most ${d.limit} requests per window; retry in ${d.resetSeconds} s`, {
      retryAfter: d.resetSeconds,
    });
  }
}
