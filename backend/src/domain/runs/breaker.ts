/**
 * A small circuit breaker per workspace and provider: after `failures` provider faults in a row the provider is
 * skipped for `cooldownMs`; then one trial call is let through (half open) — a success closes the circuit, a failure
 * opens it for another cool-down. State is per process: each backend process learns on its own, which is what a
 * breaker is for (a sick provider is found out within a few calls everywhere).
 */
export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
  now?: () => number;
}

interface Circuit {
  consecutive: number;
  openedAt: number | null;
  trialInFlight: boolean;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  readonly #circuits = new Map<string, Circuit>();
  readonly #now: () => number;

  constructor(readonly options: BreakerOptions) {
    this.#now = options.now ?? Date.now;
  }

  static key(workspaceId: string, provider: string): string {
    return `${workspaceId}\0${provider}`;
  }

  state(key: string): CircuitState {
    const c = this.#circuits.get(key);
    if (!c || c.openedAt === null) return 'closed';
    return this.#now() - c.openedAt >= this.options.cooldownMs ? 'half_open' : 'open';
  }

  /** Whether to call the provider now; in half-open state only one caller gets through until it reports. */
  allow(key: string): boolean {
    const state = this.state(key);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const c = this.#circuits.get(key)!;
    if (c.trialInFlight) return false;
    c.trialInFlight = true;
    return true;
  }

  success(key: string): void {
    this.#circuits.delete(key);
  }

  failure(key: string): void {
    const c = this.#circuits.get(key) ?? { consecutive: 0, openedAt: null, trialInFlight: false };
    c.consecutive++;
    // A failed trial reopens at once; a closed circuit opens at the threshold.
    if (c.trialInFlight || c.consecutive >= this.options.failures) c.openedAt = this.#now();
    c.trialInFlight = false;
    this.#circuits.set(key, c);
  }

  /** A trial that ended without saying anything about the provider (cancelled, or the request's own fault). */
  release(key: string): void {
    const c = this.#circuits.get(key);
    if (c) c.trialInFlight = false;
  }

  /** How long until an open circuit lets a trial through (0 when it would now). */
  retryInMs(key: string): number {
    const c = this.#circuits.get(key);
    if (!c || c.openedAt === null) return 0;
    return Math.max(0, this.options.cooldownMs - (this.#now() - c.openedAt));
  }
}
