/**
 * Requests per second per client: a token bucket each (rate r, capacity burst). A refused request learns when
 * to come back (Retry-After, whole seconds). Buckets of clients that went quiet are forgotten.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  get enabled(): boolean {
    return this.ratePerSecond > 0;
  }

  /** Takes one token for `key`; undefined when allowed, else the seconds to wait. */
  take(key: string): number | undefined {
    if (!this.enabled) return undefined;
    const t = this.now();
    const capacity = Math.max(1, this.burst);
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: capacity, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + ((t - b.at) / 1000) * this.ratePerSecond);
      b.at = t;
    }
    this.sweep(t, capacity);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerSecond));
  }

  private sweep(t: number, capacity: number): void {
    if (t - this.lastSweep < 60_000 || this.buckets.size < 1000) return;
    this.lastSweep = t;
    const full = (capacity / this.ratePerSecond) * 1000;
    for (const [k, b] of this.buckets) if (t - b.at > full) this.buckets.delete(k);
  }
}
