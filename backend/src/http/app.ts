import { randomUUID } from 'node:crypto';
import { isTemplateError, routes, type RouteDef } from '@rocqet/sdk';
import express, { type NextFunction, type Request, type Response } from 'express';
import { databaseFault } from '../db/errors.js';
import { DomainError } from '../domain/errors.js';
import { methodTable, type Served } from './allow.js';
import type { AppDeps } from './context.js';
import { problemFromDatabaseError } from './dbErrors.js';
import { docsRoutes, docsServed } from './docs.js';
import { mountMcp } from './mcp.js';
import { problemBody, sendProblem, type ProblemBody } from './problem.js';
import { promptPageRoutes, promptPageServed } from './promptPage.js';
import { auditRoutes } from './routes/audit.js';
import { eventRoutes } from './routes/events.js';
import { collabRoutes } from './routes/collab.js';
import { folderRoutes } from './routes/folders.js';
import { memberRoutes } from './routes/members.js';
import { searchRoutes } from './routes/search.js';
import { importExportRoutes, promptRoutes } from './routes/prompts.js';
import { runRoutes } from './routes/runs.js';
import { tokenRoutes } from './routes/tokens.js';
import { workspaceRoutes } from './routes/workspaces.js';

function slackRoute(req: Request, res: Response, next: NextFunction): void {
  if (req.path.startsWith('/slack/')) res.locals.route = req.path;
  next();
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

const opsServed: Served[] = ['/healthz', '/readyz', '/metrics'].map((path) => ({ method: 'GET', path }));

/** Every path the app serves, to tell a wrong method (405) from an unknown path (404) and to answer OPTIONS. */
const served = methodTable([
  ...Object.values(routes as Record<string, RouteDef>).map((r) => ({ method: r.method, path: r.path })),
  ...opsServed,
  ...docsServed,
  ...promptPageServed,
]);

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (res.locals.route as string | undefined) ?? 'unmatched';
      deps.metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      deps.logger.info(
        {
          requestId,
          method: req.method,
          route,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(seconds * 10_000) / 10,
          tokenId: res.locals.tokenId,
        },
        'request',
      );
    });
    next();
  });
  app.use(served.options);

  app.get('/healthz', (_req, res) => {
    res.locals.route = '/healthz';
    res.json({ status: 'ok', version: deps.version });
  });
  app.get('/readyz', async (_req, res) => {
    res.locals.route = '/readyz';
    try {
      await deps.pool.query('SELECT 1');
      res.json({ status: 'ready' });
    } catch (err) {
      sendProblem(res, problemBody('unavailable', `database: ${(err as Error).message}`));
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.locals.route = '/metrics';
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  docsRoutes(app, { version: deps.version, publicUrl: deps.config.publicUrl });
  promptPageRoutes(app, { publicUrl: deps.config.publicUrl });
  if (deps.mcp) mountMcp(app, deps.mcp);
  // Before any body parser: Bolt verifies Slack's signature over the raw body.
  if (deps.slack) app.use(slackRoute, deps.slack.router);

  const api = express.Router({ caseSensitive: true, strict: false });
  workspaceRoutes(api, deps);
  memberRoutes(api, deps);
  tokenRoutes(api, deps);
  folderRoutes(api, deps);
  auditRoutes(api, deps);
  eventRoutes(api, deps);
  searchRoutes(api, deps);
  promptRoutes(api, deps);
  importExportRoutes(api, deps);
  collabRoutes(api, deps);
  runRoutes(api, deps);
  app.use(api);

  app.use((req: Request, res: Response) => {
    const allowed = served.routed(req.path);
    // A routed method that fell through (a missing static asset) is a 404, not a wrong method.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (allowed.length && !allowed.includes(method)) {
      res.set('Allow', allowed.join(', '));
      sendProblem(res, problemBody('method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(', ')}`));
      return;
    }
    sendProblem(res, problemBody('not_found', `no endpoint at ${req.method} ${req.path}`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const body = toProblem(err);
    if (body.status >= 500) {
      deps.logger.error({ err, requestId: res.locals.requestId, path: req.path }, 'unhandled error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, body);
  });
  return app;
}

interface HttpishError {
  type?: string;
  status?: number;
  code?: string;
  message?: string;
}

export function toProblem(err: unknown): ProblemBody {
  if (err instanceof DomainError) return problemBody(err.code, err.message, err.extra);
  if (isTemplateError(err)) return problemBody(err.code, err.message, { ...err.details });
  const e = (err ?? {}) as HttpishError;
  switch (e.type) {
    case 'entity.parse.failed':
      return problemBody('invalid_json', `the body is not valid JSON: ${e.message ?? ''}`.trim());
    case 'entity.too.large':
      return problemBody('payload_too_large', 'the request body is larger than the server accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problemBody('unsupported_media_type', e.message);
    case 'request.aborted':
      return problemBody('validation_failed', 'the request was aborted');
  }
  if (err instanceof URIError || (e.status === 400 && typeof e.message === 'string' && /URI/i.test(e.message))) {
    return problemBody('validation_failed', 'the URL is not validly encoded');
  }
  // PostgreSQL refuses NUL characters in text: the input is at fault, not the server.
  if (postgresCode(e) === '22021') return problemBody('validation_failed', 'text must not contain NUL characters');
  const raced = problemFromDatabaseError(err);
  if (raced) return raced;
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return problemBody('validation_failed', e.message ?? 'bad request');
  }
  return problemBody('internal', 'an unexpected error occurred; it has been logged');
}

/** The SQLSTATE behind a database error (from pg or through Prisma), if that is what `e` is. */
function postgresCode(e: HttpishError): string | undefined {
  return databaseFault(e)?.sqlState;
}
