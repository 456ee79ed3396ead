import { RocqetError, type Client } from '@rocqet/sdk';

/** What POST /v1/usage/renders takes in one request (sdk contract `reportRenders`). */
const MAX_PROMPTS = 200;
const MAX_COUNT = 1_000;

/** Failures worth trying again later: the counts are kept. Anything else (a refused token) drops them. */
const TRANSIENT = new Set(['network_error', 'unavailable', 'rate_limited', 'unexpected_response', 'internal']);

/**
 * Renders done here from the feed-invalidated cache, reported to the backend's render counters in batches: at most
 * one request per interval per token, whatever the number of renders, so counting never costs a render a request.
 * A report that fails for a passing reason keeps its counts for the next one.
 */
export class RenderReports {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly intervalMs = 1_000,
    private readonly log: (message: string) => void = () => {},
  ) {}

  count(promptId: string): void {
    this.pending.set(promptId, (this.pending.get(promptId) ?? 0) + 1);
    this.schedule();
  }

  /** Renders counted here and not yet accepted by the backend. */
  get unreported(): number {
    let n = 0;
    for (const c of this.pending.values()) n += c;
    return n;
  }

  /** Sends what is pending now (one batch; more follow on the timer). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending) await this.sending;
    if (!this.pending.size) return;
    const batch: { prompt: string; count: number }[] = [];
    for (const [prompt, count] of this.pending) {
      if (batch.length === MAX_PROMPTS) break;
      const sent = Math.min(count, MAX_COUNT);
      batch.push({ prompt, count: sent });
      if (count > sent) this.pending.set(prompt, count - sent);
      else this.pending.delete(prompt);
    }
    this.sending = this.send(batch).finally(() => {
      this.sending = undefined;
    });
    await this.sending;
    if (this.pending.size) this.schedule();
  }

  /** Reports everything pending (on shutdown), giving up at the first failure. */
  async close(): Promise<void> {
    for (let before = Infinity; this.pending.size && this.unreported < before; ) {
      before = this.unreported;
      await this.flush();
    }
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Drops what is pending (the token stopped working: nobody can report it). */
  drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  private async send(batch: { prompt: string; count: number }[]): Promise<void> {
    try {
      await this.client.reportRenders({ body: { renders: batch } });
    } catch (err) {
      const code = err instanceof RocqetError ? err.code : 'internal';
      if (TRANSIENT.has(code) || (err instanceof RocqetError && err.status >= 500)) {
        for (const { prompt, count } of batch) this.pending.set(prompt, (this.pending.get(prompt) ?? 0) + count);
      } else {
        this.log(`rocqet-mcp: render counts not reported (${code}: ${(err as Error).message}); dropped`);
      }
    }
  }
}
