// Per-IP token buckets (spec §6.3). A bucket holds up to `burst` tokens and refills at `rate`/s.

export interface Quota {
  /** Requests per second. */
  rate: number;
  /** Bucket size; defaults to the rate. */
  burst?: number;
}

interface Bucket {
  tokens: number;
  at: number; // ms
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly rate: number;

  constructor(
    quota: Quota,
    private readonly maxTracked = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!(quota.rate > 0)) throw new RangeError('rate must be positive');
    this.rate = quota.rate;
    this.burst = Math.max(1, quota.burst ?? quota.rate);
  }

  /** Takes one token for `ip`: 0 when allowed, else the whole seconds to wait (for Retry-After). */
  take(ip: string): number {
    const t = this.now();
    let b = this.buckets.get(ip);
    if (!b) {
      if (this.buckets.size >= this.maxTracked) this.prune(t);
      b = { tokens: this.burst, at: t };
      this.buckets.set(ip, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.rate);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
  }

  /** Forgets buckets that have refilled (they behave like new ones); drops the oldest if still full. */
  private prune(t: number): void {
    for (const [ip, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.rate >= this.burst) this.buckets.delete(ip);
    }
    while (this.buckets.size >= this.maxTracked) this.buckets.delete(this.buckets.keys().next().value as string);
  }

  get tracked(): number {
    return this.buckets.size;
  }
}
