import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

export type Era = 'legacy' | 'modern';
export type Via = 'http' | 'stdio';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Connect {
  era: Era;
  via?: Via;
  token: string;
  capabilities?: ClientCapabilities;
  env?: Record<string, string>;
}

/** The SDK's real Client over a real transport: Streamable HTTP to the backend's /mcp, or the rocqet-mcp process. */
export async function connect(baseUrl: string, opts: Connect): Promise<Client> {
  const client = new Client(
    { name: 'rocqet-test', version: '1.0.0' },
    {
      capabilities: opts.capabilities ?? {},
      ...(opts.era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' as const } } } : {}),
    },
  );
  if ((opts.via ?? 'http') === 'http') {
    const transport = new StreamableHTTPClientTransport(new URL(baseUrl + '/mcp'), {
      requestInit: { headers: { authorization: `Bearer ${opts.token}` } },
    });
    await client.connect(transport);
    httpTransports.set(client, transport);
  } else {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--conditions=source', '--import', 'tsx', path.join(root, 'mcp-server', 'src', 'cli.ts')],
        env: { PATH: process.env.PATH ?? '', ROCQET_URL: baseUrl, ROCQET_TOKEN: opts.token, ...opts.env },
        cwd: root,
        stderr: 'pipe',
      }),
    );
  }
  return client;
}

const httpTransports = new WeakMap<Client, StreamableHTTPClientTransport>();

/** Ends the client as a well-behaved 2025 client does: DELETE the session, then close. */
export async function hangUp(client: Client): Promise<void> {
  await httpTransports.get(client)?.terminateSession().catch(() => {});
  await client.close();
}

export const eras: Era[] = ['legacy', 'modern'];

export const greeter = [
  '---',
  'description: Greets someone',
  'variables:',
  '  name:',
  '    description: who to greet',
  '  lang:',
  '    description: the language',
  '    enum: [en, fr, de]',
  '    default: en',
  '---',
  'Hello {{name}} in {{lang}}.',
  '',
].join('\n');
