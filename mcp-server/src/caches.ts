import { createPromptCache, type Client, type PromptCache } from '@rocqet/sdk';

/**
 * One feed-invalidated prompt cache per token: a cache reads with its token's rights, so two tokens never share
 * entries. The oldest is closed (its feed stream with it) past `limit`; all close with the server.
 */
export class PromptCaches {
  private readonly byToken = new Map<string, PromptCache>();

  constructor(private readonly limit = 200) {}

  forToken(tokenKey: string, client: Client): PromptCache {
    let cache = this.byToken.get(tokenKey);
    if (cache) {
      this.byToken.delete(tokenKey);
    } else {
      cache = createPromptCache(client);
      if (this.byToken.size >= this.limit) {
        const [oldest, c] = this.byToken.entries().next().value!;
        c.close();
        this.byToken.delete(oldest);
      }
    }
    this.byToken.set(tokenKey, cache);
    return cache;
  }

  /** A token that stopped working: its cache's feed would retry forever. */
  drop(tokenKey: string): void {
    this.byToken.get(tokenKey)?.close();
    this.byToken.delete(tokenKey);
  }

  close(): void {
    for (const c of this.byToken.values()) c.close();
    this.byToken.clear();
  }
}
