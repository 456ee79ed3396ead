import { buildOpenApi, routes, type RouteDef } from '@rocqet/sdk';
import express, { type Router } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Served } from './allow.js';

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rocqet API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

const init = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true,
  persistAuthorization: true });`;

export const docsServed: Served[] = ['/openapi.json', '/docs', '/docs/init.js', /^\/docs\/assets\/./].map((path) => ({
  method: 'GET',
  path,
}));

/**
 * `GET /openapi.json`, generated from the sdk contract, and `/docs`, Swagger UI served from the npm package. Both are
 * the same bytes for every request: the server URL is configuration (ROCQET_PUBLIC_URL) or relative, never the
 * request's Host, which any client can set to anything (and a cache would then serve to everyone).
 */
export function docsRoutes(router: Router, opts: { version: string; publicUrl: string | undefined }): void {
  let cached: string | undefined;
  router.get('/openapi.json', (_req, res) => {
    cached ??= JSON.stringify(
      buildOpenApi(routes as Record<string, RouteDef>, { version: opts.version, serverUrl: opts.publicUrl ?? '/' }),
    );
    res.type('application/json').send(cached);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(init);
  });
  router.use('/docs/assets', express.static(swaggerDir, { index: false, maxAge: '1h' }));
}
