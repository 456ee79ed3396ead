// What the parent (index.ts) and the forked database process (server.ts) say to each other over the IPC channel.

export interface ServerConfig {
  dataDir: string;
  host: string;
  port: number;
  maxConnections: number;
}

export type ChildMessage = { type: 'ready'; port: number } | { type: 'failed'; message: string };

export type ParentMessage = { type: 'stop' };

export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (m.type === 'ready' && typeof m.port === 'number') || (m.type === 'failed' && typeof m.message === 'string');
}

export function isParentMessage(value: unknown): value is ParentMessage {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).type === 'stop';
}

export function parseServerConfig(raw: string | undefined): ServerConfig {
  if (raw === undefined) throw new Error('embedded postgres server: missing config argument');
  const c = JSON.parse(raw) as Partial<ServerConfig>;
  if (typeof c.dataDir !== 'string' || typeof c.host !== 'string' || typeof c.port !== 'number' ||
      typeof c.maxConnections !== 'number') {
    throw new Error(`embedded postgres server: bad config ${raw}`);
  }
  return { dataDir: c.dataDir, host: c.host, port: c.port, maxConnections: c.maxConnections };
}
