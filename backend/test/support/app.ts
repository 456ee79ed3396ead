import { createClient, type Client } from '@rocqet/sdk';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { bootstrapWorkspace } from '../../src/domain/workspaces/workspaces.js';
import { startBackend, type Backend, type BackendOptions } from '../../src/server.js';
import { freshDatabase } from './db.js';

export interface TestApp {
  backend: Backend;
  url: string;
  /** A workspace with an owner token, made fresh for the caller. */
  workspace(slug?: string, opts?: { type?: 'personal' | 'team' | 'enterprise'; plan?: 'free' | 'pro' | 'enterprise' }): Promise<TestWorkspace>;
  client(token: string): Client;
  close(): Promise<void>;
}

export interface TestWorkspace {
  id: string;
  slug: string;
  ownerToken: string;
  ownerUserId: string;
  owner: Client;
}

let counter = 0;

/** A real backend on a fresh database, listening on a random loopback port. */
export async function startTestApp(env: Record<string, string> = {}, options: BackendOptions = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const config = {
    ...loadConfig({ ...process.env, ROCQET_VALIDATE_RESPONSES: '1', RATE_LIMIT: '100000', ...env }),
    port: 0,
    databaseUrl: database.url,
  };
  const backend = await startBackend(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), options);
  const client = (token: string) => createClient({ baseUrl: backend.url, token });
  return {
    backend,
    url: backend.url,
    client,
    async workspace(slug, opts = {}) {
      const s = slug ?? `ws-${process.pid}-${++counter}`;
      const created = await bootstrapWorkspace(backend.db, {
        slug: s,
        name: `Workspace ${s}`,
        type: opts.type ?? 'team',
        plan: opts.plan ?? (opts.type === 'enterprise' ? 'enterprise' : 'pro'),
        owner: { email: `owner+${s}@example.com`, name: `Owner ${s}` },
      });
      return {
        id: created.workspace.id,
        slug: s,
        ownerToken: created.secret,
        ownerUserId: created.user.id,
        owner: client(created.secret),
      };
    },
    async close() {
      await backend.close();
      await database.drop();
    },
  };
}
