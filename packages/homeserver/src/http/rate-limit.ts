import { isIP } from 'node:net';

/** One request-count limit (spec §7.3), validated. */
export interface PathLimit {
  /** Glob on the URI path (`*` within a segment, `**` across segments, `?`, `{a,b}`). */
  path: string;
  /** Upper-case HTTP method. */
  method: string;
  /** `count` requests per `periodMs`. */
  count: number;
  periodMs: number;
  key: 'ip' | 'user';
  burst: number;
  /** IPs (key ip) or z32 keys (key user) that are never limited. */
  whitelist: string[];
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `"<n>r/<s|m|h|d>"`; null if malformed or n < 1. */
export function parseRateQuota(s: string): { count: number; periodMs: number } | null {
  const m = /^(\d{1,9})r\/([smhd])$/.exec(s.trim());
  if (!m) return null;
  const count = Number(m[1]);
  return count >= 1 ? { count, periodMs: UNIT_MS[m[2]!]! } : null;
}

/** Compiles the glob grammar of §7.3 into an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `/**/` also matches a single `/`.
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{' && !inBraces) {
      inBraces = true;
      re += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      re += ')';
    } else if (c === ',' && inBraces) re += '|';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  if (inBraces) re += ')';
  return new RegExp(`^${re}$`);
}

/** The client IP per §7.3: first parseable X-Forwarded-For entry, else X-Real-IP, else the peer. */
export function clientIp(headers: Record<string, string | string[] | undefined>, peer: string | undefined): string {
  const xff = headers['x-forwarded-for'];
  const xffText = Array.isArray(xff) ? xff.join(',') : xff;
  if (xffText) {
    for (const part of xffText.split(',')) {
      const ip = part.trim();
      if (isIP(ip)) return ip;
    }
  }
  const real = headers['x-real-ip'];
  const realText = Array.isArray(real) ? real[0] : real;
  if (realText && isIP(realText.trim())) return realText.trim();
  return peer ?? 'unknown';
}

interface Bucket {
  /** GCRA theoretical arrival time, ms. */
  tat: number;
}

interface CompiledLimit extends PathLimit {
  regex: RegExp;
  intervalMs: number;
  buckets: Map<string, Bucket>;
  whitelistSet: Set<string>;
}

export interface RateLimitRequest {
  method: string;
  /** The path the globs are matched against. */
  path: string;
  ip: string;
  /** Tenant z32, or null. */
  user: string | null;
}

export type RateLimitOutcome = { kind: 'ok' } | { kind: 'limited'; retryAfterSeconds: number } | { kind: 'no_key' };

/**
 * Request-count limiter: one GCRA bucket (equivalent to the reference's `governor` token bucket)
 * per (limit, key). Stale buckets are swept on `sweep()`, which the server calls periodically.
 */
export class RateLimiter {
  private readonly limits: CompiledLimit[];

  constructor(
    limits: readonly PathLimit[],
    private readonly now: () => number = Date.now,
  ) {
    this.limits = limits.map((l) => ({
      ...l,
      regex: globToRegExp(l.path),
      intervalMs: l.periodMs / l.count,
      buckets: new Map(),
      whitelistSet: new Set(l.whitelist),
    }));
  }

  get enabled(): boolean {
    return this.limits.length > 0;
  }

  check(req: RateLimitRequest): RateLimitOutcome {
    const now = this.now();
    let worst = 0;
    for (const l of this.limits) {
      if (l.method !== req.method || !l.regex.test(req.path)) continue;
      const key = l.key === 'ip' ? req.ip : req.user;
      if (key === null) return { kind: 'no_key' };
      if (l.whitelistSet.has(key)) continue;
      const bucket = l.buckets.get(key);
      const newTat = Math.max(bucket?.tat ?? now, now) + l.intervalMs;
      const excess = newTat - now - l.intervalMs * l.burst;
      if (excess > 0) {
        worst = Math.max(worst, excess);
        continue;
      }
      if (bucket) bucket.tat = newTat;
      else l.buckets.set(key, { tat: newTat });
    }
    if (worst > 0) return { kind: 'limited', retryAfterSeconds: Math.max(1, Math.floor(worst / 1000)) };
    return { kind: 'ok' };
  }

  /** Drops buckets that are back to full (their state equals a fresh bucket). */
  sweep(): void {
    const now = this.now();
    for (const l of this.limits) {
      for (const [k, b] of l.buckets) if (b.tat <= now) l.buckets.delete(k);
    }
  }
}
