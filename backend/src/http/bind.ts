import { createHash } from 'node:crypto';
import type { RouteDef, RouteParsed } from '@rocqet/sdk';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Actor } from '../domain/actor.js';
import { DomainError, fail } from '../domain/errors.js';
import { requireScope } from '../domain/policy.js';
import { authenticate } from './auth.js';
import type { AppDeps } from './context.js';

export interface HandlerInput<D> {
  actor: Actor;
  input: RouteParsed<D>;
  req: Request;
  res: Response;
}

export type Handler<D> = (h: HandlerInput<D>) => Promise<unknown>;

export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/** A strong ETag of a representation: the same JSON gives the same tag on every process. */
export function etagOf(body: unknown): string {
  return etagOfJson(JSON.stringify(body));
}

function etagOfJson(json: string): string {
  return `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
}

/** If-Match: refuse when the client's copy is stale (`*` matches anything that exists). Strong comparison. */
export function checkIfMatch(req: Request, currentTag: string): void {
  const header = req.get('if-match');
  if (!header) return;
  const tags = header.split(',').map((t) => t.trim());
  if (!tags.includes('*') && !tags.includes(currentTag)) {
    fail('precondition_failed', 'the resource changed since you read it; fetch it again and retry');
  }
}

/**
 * If-None-Match (weak comparison; `*` matches anything): the client's copy is current. Evaluated here rather than by
 * Express's freshness check, which gives up whenever the request carries `Cache-Control: no-cache` — and fetch() adds
 * that to every conditional request, so clients on fetch (the sdk) would never see a 304.
 */
export function notModified(req: Request, etag: string): boolean {
  const header = req.get('if-none-match');
  if (!header) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === opaque(etag));
}

function validation(where: string, error: z.ZodError): DomainError {
  const errors = error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = errors[0];
  return new DomainError(
    'validation_failed',
    first ? `${first.path}: ${first.message}` + (errors.length > 1 ? ` (and ${errors.length - 1} more)` : '') : 'invalid',
    { errors },
  );
}

function parse<S extends z.ZodType | undefined>(schema: S, value: unknown, where: string): unknown {
  if (!schema) return where === 'body' ? undefined : {};
  const result = schema.safeParse(value);
  if (!result.success) throw validation(where, result.error);
  return result.data;
}

const parsers = new Map<string | number, RequestHandler>();

function jsonParser(limit: string | number): RequestHandler {
  let parser = parsers.get(limit);
  if (!parser) {
    parser = express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] });
    parsers.set(limit, parser);
  }
  return parser;
}

function parseJson(req: Request, res: Response, parser: RequestHandler): Promise<void> {
  return new Promise((resolve, reject) => parser(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Binds a contract route to a handler: authenticate → scope → rate limit → validate → handle → present. The handler
 * returns the response body (already in the contract's shape), or sets headers on `res` itself.
 */
export function bind<D extends RouteDef>(router: Router, deps: AppDeps, def: D, handler: Handler<D>): void {
  const method = def.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  router[method](expressPath(def.path), async (req: Request, res: Response) => {
    res.locals.route = def.path;
    const actor = await authenticate(req, res, deps);
    if (def.scope) requireScope(actor, def.scope);
    if (def.body && hasBody(req)) {
      if (!req.is(['application/json', 'application/*+json'])) {
        fail('unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
      }
      // After authentication: a caller without a valid token learns nothing from how its body would have fared.
      await parseJson(req, res, jsonParser(def.maxBodyBytes ?? deps.config.bodyLimit));
    }
    const input = {
      params: parse(def.params, req.params, 'params'),
      query: parse(def.query, req.query, 'query'),
      body: parse(def.body, req.body, 'body'),
    } as RouteParsed<D>;
    const result = await handler({ actor, input, req, res });
    // A streaming handler (the change feed) has answered and owns the response from here on.
    if (res.headersSent) return;
    if (def.status === 204) {
      res.status(204).end();
      return;
    }
    if (def.produces) {
      res.status(def.status).type(def.produces).send(result as string);
      return;
    }
    if (deps.config.validateResponses && def.response) {
      const checked = def.response.safeParse(result);
      if (!checked.success) {
        throw new Error(`response of ${def.method} ${def.path} breaks the contract: ${checked.error.message}`);
      }
    }
    // Serialised once: the same text is hashed for the ETag and sent.
    const json = JSON.stringify(result);
    if (def.method === 'GET') {
      if (!res.get('etag')) res.set('ETag', etagOfJson(json));
      if (notModified(req, String(res.get('etag')))) {
        res.status(304).end();
        return;
      }
    }
    res.status(def.status).type('application/json').send(json);
  });
}
