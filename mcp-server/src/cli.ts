import { createServer } from 'node:http';
import { createMcpHttpEndpoint } from './http.js';
import { serveRocqetStdio } from './stdio.js';

/**
 * rocqet-mcp            stdio (what Claude Desktop, VS Code and Cursor launch): ROCQET_URL, ROCQET_TOKEN
 * rocqet-mcp --http     a standalone Streamable HTTP endpoint at /mcp (PORT, HOST; callers send their own tokens)
 * Both take ROCQET_DEFAULT_REF (for example production): the ref prompts are served at.
 */
const err = (m: string) => process.stderr.write(m + '\n');
const env = process.env;
const url = env.ROCQET_URL ?? 'http://127.0.0.1:4300';
const defaultRef = env.ROCQET_DEFAULT_REF || undefined;

if (process.argv.includes('--http')) {
  const endpoint = createMcpHttpEndpoint({
    backendUrl: url,
    defaultRef,
    ...(env.ROCQET_MCP_ALLOWED_HOSTS ? { allowedHosts: env.ROCQET_MCP_ALLOWED_HOSTS.split(',') } : {}),
    log: (m, extra) => err(`${m} ${extra ? JSON.stringify(extra) : ''}`),
  });
  const port = Number(env.PORT ?? 4301);
  const host = env.HOST ?? '127.0.0.1';
  const server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/mcp') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('the MCP endpoint is /mcp\n');
      return;
    }
    void endpoint.handle(req, res);
  });
  server.listen(port, host, () => err(`rocqet-mcp: Streamable HTTP at http://${host}:${port}/mcp (backend ${url})`));
  const stop = () => void endpoint.close().then(() => server.close(() => process.exit(0)));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  const token = env.ROCQET_TOKEN;
  if (!token) {
    err('rocqet-mcp: set ROCQET_TOKEN to a Rocqet API token (and ROCQET_URL to the backend, default http://127.0.0.1:4300)');
    process.exit(2);
  }
  const handle = serveRocqetStdio({ url, token, defaultRef, log: err });
  err(`rocqet-mcp: serving ${url} on stdio${defaultRef ? ` at ref ${defaultRef}` : ''}`);
  const stop = () => void handle.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The client hung up: report the render counts still pending before the process ends.
  process.stdin.once('end', stop);
}
