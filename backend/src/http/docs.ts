import { buildOpenApi, routes, type RouteDef } from '@rocqet/sdk';
import express, { type Router } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rocqet API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

const init = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true,
  persistAuthorization: true });`;

/** `GET /openapi.json`, generated from the sdk contract, and `/docs`, Swagger UI served from the npm package. */
export function docsRoutes(router: Router, version: string): void {
  let cached: unknown;
  router.get('/openapi.json', (req, res) => {
    cached ??= buildOpenApi(routes as Record<string, RouteDef>, { version });
    res.json({ ...(cached as object), servers: [{ url: `${req.protocol}://${req.get('host')}` }] });
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(init);
  });
  router.use('/docs/assets', express.static(swaggerDir, { index: false, maxAge: '1h' }));
}
