import type { Request, Response } from 'express';
import type { Actor } from '../domain/actor.js';
import { fail } from '../domain/errors.js';
import { authenticateToken } from '../domain/tokens/authenticate.js';
import type { AppDeps } from './context.js';

/** Resolves the bearer token, applies the per-token rate limit and stamps the request's origin onto the actor. */
export async function authenticate(req: Request, res: Response, deps: AppDeps): Promise<Actor> {
  const header = req.get('authorization');
  if (!header) {
    await limit(res, deps, `ip:${req.ip}`);
    fail('unauthenticated', 'send an API token: Authorization: Bearer rq_…');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
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
