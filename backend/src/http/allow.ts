import type { RequestHandler } from 'express';
import { problemBody, sendProblem } from './problem.js';

/** A route the app serves: a contract template (`/v1/prompts/{prompt}`) or a pattern (static assets). */
export interface Served {
  method: string;
  path: string | RegExp;
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function patternOf(path: string | RegExp): RegExp {
  if (path instanceof RegExp) return path;
  return new RegExp('^' + path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+') + '/?$');
}

/**
 * One table of what each path answers, for the two answers Express would otherwise improvise: a wrong method
 * (405 with Allow, instead of 404) and OPTIONS (204 with Allow, instead of Express's 200 text/plain).
 */
export function methodTable(served: Served[]) {
  const matchers = served.map((s) => ({ method: s.method.toUpperCase(), pattern: patternOf(s.path) }));
  /** The methods routed at `path` (without the implicit HEAD and OPTIONS); empty for an unknown path. */
  const routed = (path: string): string[] => {
    const methods = new Set(matchers.filter((m) => m.pattern.test(path)).map((m) => m.method));
    return ORDER.filter((m) => methods.has(m));
  };
  /** Everything `path` answers, as OPTIONS advertises it. */
  const allowed = (path: string): string[] => {
    const methods = new Set(routed(path));
    if (!methods.size) return [];
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    return ORDER.filter((m) => methods.has(m));
  };
  /** Answers every OPTIONS request before any router sees it, so none falls back to Express's text/plain. */
  const options: RequestHandler = (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    const methods = allowed(req.path);
    if (!methods.length) {
      sendProblem(res, problemBody('not_found', `no endpoint at ${req.path}`));
      return;
    }
    res.set('Allow', methods.join(', ')).status(204).end();
  };
  return { routed, allowed, options };
}
