import { createHash } from 'node:crypto';
import type { RouteDef, RouteParsed } from '@rocqet/sdk';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Actor } from '../domain/actor.js';
import { fail, validationFailed } from '../domain/errors.js';
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

function parse<S extends z.ZodType | undefined>(schema: S, value: unknown, where: string): unknown {
  if (!schema) return where === 'body' ? undefined : {};
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(where, result.error.issues);
  return result.data;
}

const parsers = new Map<string, RequestHandler>();
const JSON_TYPES = ['application/json', 'application/*+json'];

function jsonParser(limit: string | number): RequestHandler {
  const key = String(limit);
  let parser = parsers.get(key);
  if (!parser) {
    parser = express.json({ limit, strict: false, type: JSON_TYPES });
    parsers.set(key, parser);
  }
  return parser;
}

function tooLarge(): never {
  fail('payload_too_large', 'the request body is larger than the server accepts');
}

/** The request body as it arrives, refused (413) as soon as it passes `limit` bytes, declared or counted. */
async function* boundedChunks(req: Request, limit: number): AsyncGenerator<Uint8Array> {
  if (Number(req.headers['content-length'] ?? 0) > limit) tooLarge();
  let seen = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (seen > limit) tooLarge();
    yield chunk;
  }
}

/** A body handed over as it streams in (no chunks when the request has no body). */
export interface StreamedBody {
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

function runParser(req: Request, res: Response, parser: RequestHandler): Promise<void> {
  return new Promise((resolve, reject) => parser(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** What a route's body is read as: parsed JSON checked against the contract, or a stream for the handler. */
type BodyKind = 'json' | 'stream';

function route<D extends RouteDef>(
  router: Router,
  deps: AppDeps,
  def: D,
  kind: BodyKind,
  handle: (actor: Actor, body: unknown, req: Request, res: Response) => Promise<unknown>,
): void {
  const method = def.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  router[method](expressPath(def.path), async (req: Request, res: Response) => {
    res.locals.route = def.path;
    const actor = await authenticate(req, res, deps);
    if (def.scope && def.scope !== 'any') requireScope(actor, def.scope);
    let body: unknown = kind === 'stream' ? ({ chunks: [] } satisfies StreamedBody) : undefined;
    if (def.body && hasBody(req)) {
      if (!req.is(JSON_TYPES)) {
        fail('unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
      }
      // After authentication: a caller without a valid token learns nothing from how its body would have fared.
      if (kind === 'json') {
        await runParser(req, res, jsonParser(def.maxBodyBytes ?? deps.config.bodyLimit));
        body = req.body;
      } else {
        // The JSON parser's rule for the rest: UTF-8 or no charset at all.
        const charset = /;\s*charset=([^;\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.replace(/"/g, '').toLowerCase();
        if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
          fail('unsupported_media_type', `unsupported charset "${charset.toUpperCase()}"`);
        }
        body = { chunks: boundedChunks(req, def.maxBodyBytes ?? 0) } satisfies StreamedBody;
      }
    }
    const result = await handle(actor, body, req, res);
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

/**
 * Binds a contract route to a handler: authenticate → scope → rate limit → validate → handle → present. The handler
 * returns the response body (already in the contract's shape), or sets headers on `res` itself.
 */
export function bind<D extends RouteDef>(router: Router, deps: AppDeps, def: D, handler: Handler<D>): void {
  route(router, deps, def, 'json', (actor, body, req, res) => {
    const input = {
      params: parse(def.params, req.params, 'params'),
      query: parse(def.query, req.query, 'query'),
      body: parse(def.body, body, 'body'),
    } as RouteParsed<D>;
    return handler({ actor, input, req, res });
  });
}

/**
 * Binds a route whose body is too large to parse on the event loop (imports): the handler gets the body as it
 * streams in, at most `def.maxBodyBytes`, and must check it against `def.body` itself, off the loop. Params and query
 * are validated here as usual.
 */
export function bindStreamedBody<D extends RouteDef>(
  router: Router,
  deps: AppDeps,
  def: D,
  handler: (h: { actor: Actor; input: Omit<RouteParsed<D>, 'body'>; body: StreamedBody; req: Request; res: Response }) => Promise<unknown>,
): void {
  route(router, deps, def, 'stream', (actor, body, req, res) => {
    const input = { params: parse(def.params, req.params, 'params'), query: parse(def.query, req.query, 'query') } as Omit<RouteParsed<D>, 'body'>;
    return handler({ actor, input, body: body as StreamedBody, req, res });
  });
}
