import type { IncomingMessage } from 'node:http';
import { createMcpHttpEndpoint, type McpHttpEndpoint } from '@rocqet/mcp-server';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

/**
 * The MCP server's Streamable HTTP endpoint, mounted at /mcp. It reaches this same backend the way every client
 * does — over HTTP through the sdk, at the address the request came in on — so MCP can never bypass the API's
 * validation, policies or audit.
 */
export function createMcpEndpoint(config: Config['mcp'], logger: Logger): McpHttpEndpoint {
  return createMcpHttpEndpoint({
    backendUrl: selfUrl,
    defaultRef: config.defaultRef,
    pageSize: config.pageSize,
    cache: config.cache,
    ...(config.allowedHosts ? { allowedHosts: config.allowedHosts } : {}),
    log: (message, extra) => logger.warn(extra ?? {}, message),
  });
}

function selfUrl(req: IncomingMessage): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

export function mountMcp(app: Express, endpoint: McpHttpEndpoint): void {
  app.all('/mcp', (req, res) => {
    res.locals.route = '/mcp';
    void endpoint.handle(req, res);
  });
}
