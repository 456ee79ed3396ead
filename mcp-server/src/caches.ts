import { createPromptCache, type Client, type PromptCache } from '@rocqet/sdk';
import { RenderReports } from './usage.js';

/** What a token's reads keep between requests: its feed-invalidated prompt cache and its pending render counts. */
export interface TokenReads {
  cache: PromptCache;
  renders: RenderReports;
}

/**
 * One feed-invalidated prompt cache per token: a cache reads with its token's rights, so two tokens never share
 * entries. The oldest is closed (its feed stream with it, its render counts reported) past `limit`; all close with
 * the server.
 */
export class PromptCaches {
  private readonly byToken = new Map<string, TokenReads>();

  constructor(
    private readonly limit = 200,
    private readonly reportEveryMs = 1_000,
    private readonly log: (message: string) => void = () => {},
  ) {}

  forToken(tokenKey: string, client: Client): TokenReads {
    let reads = this.byToken.get(tokenKey);
    if (reads) {
      this.byToken.delete(tokenKey);
    } else {
      reads = { cache: createPromptCache(client), renders: new RenderReports(client, this.reportEveryMs, this.log) };
      if (this.byToken.size >= this.limit) {
        const [oldest, r] = this.byToken.entries().next().value!;
        r.cache.close();
        void r.renders.close();
        this.byToken.delete(oldest);
      }
    }
    this.byToken.set(tokenKey, reads);
    return reads;
  }

  /** A token that stopped working: its cache's feed would retry forever, and its counts can be reported by nobody. */
  drop(tokenKey: string): void {
    const reads = this.byToken.get(tokenKey);
    reads?.cache.close();
    reads?.renders.drop();
    this.byToken.delete(tokenKey);
  }

  async close(): Promise<void> {
    const all = [...this.byToken.values()];
    this.byToken.clear();
    await Promise.all(all.map((r) => r.renders.close()));
    for (const r of all) r.cache.close();
  }
}
