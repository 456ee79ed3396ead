import type { IncomingMessage } from 'node:http';

/**
 * DNS rebinding: a page on evil.example that resolves its name to 127.0.0.1 reaches a local server with its own Host
 * and Origin. Only hosts we serve under are answered, and a browser Origin must be one of ours.
 */
export interface OriginPolicy {
  /** Host names (without port) the server answers under; default: loopback names only. */
  allowedHosts?: string[];
  /** Exact origins (scheme://host:port) allowed besides loopback ones. */
  allowedOrigins?: string[];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(host: string): string {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  if (bracket > 0) return host.slice(0, bracket + 1).toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

export function checkHostAndOrigin(req: IncomingMessage, policy: OriginPolicy): string | undefined {
  const host = req.headers.host;
  if (!host) return 'a Host header is required';
  const hosts = policy.allowedHosts?.map((h) => h.toLowerCase());
  const name = hostnameOf(host);
  if (hosts ? !hosts.includes(name) && !hosts.includes('*') : !LOOPBACK.has(name)) return `host ${name} is not served here`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (policy.allowedOrigins?.includes(origin)) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `origin ${origin} is not allowed`;
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.has(url.hostname.toLowerCase()) && LOOPBACK.has(name)) {
    return undefined;
  }
  return `origin ${origin} is not allowed`;
}
