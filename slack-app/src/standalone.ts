import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { createSlackApp, type SlackApp, type SlackAppOptions } from './app.js';
import { loadSlackConfig } from './config.js';

export interface StandaloneOptions extends Omit<SlackAppOptions, 'config' | 'pool'> {
  config?: SlackAppOptions['config'];
  /** An existing pool, or DATABASE_URL (the database holding the Slack app's tables). */
  pool?: pg.Pool;
  databaseUrl?: string;
  port?: number;
  host?: string;
}

export interface StandaloneSlack {
  url: string;
  app: SlackApp;
  close(): Promise<void>;
}

/**
 * The Slack app on its own HTTP server (`rocqet-slack`), reaching a Rocqet backend at ROCQET_URL. It needs the same
 * ROCQET_SECRET_KEY as the backend only for its own sealed rows, and the database where its tables live.
 */
export async function startStandalone(options: StandaloneOptions): Promise<StandaloneSlack> {
  const config = options.config ?? loadSlackConfig();
  if (!config) throw new Error('set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or the SLACK_CLIENT_* OAuth settings)');
  const ownPool = !options.pool;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.databaseUrl ?? process.env.DATABASE_URL, max: 5 });
  pool.on('error', () => {});
  const app = createSlackApp({ ...options, config, pool });
  const web = express();
  web.disable('x-powered-by');
  web.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  web.use(app.router);
  web.use((_req, res) => void res.status(404).json({ error: 'not_found' }));
  const server = await new Promise<Server>((resolve, reject) => {
    const s = web.listen(options.port ?? 0, options.host ?? '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    app,
    async close() {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownPool) await pool.end();
    },
  };
}
