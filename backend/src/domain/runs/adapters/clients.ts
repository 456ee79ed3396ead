import { createHash } from 'node:crypto';
import { Lru } from '../../../util/lru.js';
import type { ProviderTarget } from '../provider.js';

/**
 * SDK clients are reused per key and base URL (each keeps its HTTP agent, so a run reuses warm connections to the
 * provider). Keyed by a hash of the key, never the key itself; bounded, oldest dropped first.
 */
const clients = new Lru<string, unknown>(64);

export function clientFor<C>(target: ProviderTarget, make: () => C): C {
  const id = createHash('sha256').update(`${target.kind}\0${target.baseUrl ?? ''}\0${target.apiKey}`).digest('base64url');
  return clients.get(id, make) as C;
}
