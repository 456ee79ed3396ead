import type { McpHttpEndpoint } from '@rocqet/mcp-server';
import type { RequestHandler } from 'express';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { CollabServer } from '../collab/server.js';
import type { Config } from '../config.js';
import type { Db } from '../db/prisma.js';
import type { UsageCounter } from '../domain/prompts/usage.js';
import type { AuthorityWatch } from '../feed/authority.js';
import type { FeedHub } from '../feed/hub.js';
import type { ConnectionSlots } from './connectionSlots.js';
import type { SearchService } from '../search/service.js';
import type { Metrics } from './metrics.js';
import type { RateLimiter } from './rateLimit.js';

/** What the HTTP layer needs from the rest of the process. */
export interface AppDeps {
  db: Db;
  pool: pg.Pool;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  version: string;
  usage: UsageCounter;
  search: SearchService;
  feed: FeedHub;
  /** Keeps open streams to what their token may do now. */
  authority: AuthorityWatch;
  /** Per-token limits on long-lived connections (across processes with Redis). */
  slots: ConnectionSlots;
  /** The MCP endpoint served at /mcp (absent: no MCP). */
  mcp?: McpHttpEndpoint;
  /** The Slack app's routes (/slack/events, /slack/install, /slack/oauth_redirect) when SLACK_* is configured. */
  slack?: { router: RequestHandler };
  collab: CollabServer;
}
