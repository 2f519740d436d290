import { Readable } from 'node:stream';
import type { UserRecord } from '../storage/types.ts';

/**
 * Bandwidth throttling (spec §8.1): token buckets in KB cells (`kb` = 1, `mb` = 1024, `gb` =
 * 1,048,576 cells per `s|m|h|d`). Requests with a session are paced per session user, reads
 * (GET/HEAD) with its read rate and writes with its write rate: the user's override, else
 * `[default_quotas]`, else none; the burst defaults to the rate. Requests without a session are
 * paced per client IP, only when `default_quotas.unauthenticated_ip_rate_read` is set. Bodies are
 * paced, never refused: a chunk waits until its bytes fit the bucket.
 */

const CELL_BYTES = 1024;
const UNIT_CELLS: Record<string, number> = { kb: 1, mb: 1024, gb: 1_048_576 };
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A parsed rate: `cells` KB cells per `periodMs`. */
export interface BandwidthRate {
  cells: number;
  periodMs: number;
}

/** Parses `"<n><kb|mb|gb>/<s|m|h|d>"` or `"unlimited"` (spec §9 `UserQuota`); null when malformed or n < 1. */
export function parseBandwidth(s: string): BandwidthRate | 'unlimited' | null {
  if (s === 'unlimited') return 'unlimited';
  const m = /^(\d{1,9})(kb|mb|gb)\/([smhd])$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  return n >= 1 ? { cells: n * UNIT_CELLS[m[2]!]!, periodMs: UNIT_MS[m[3]!]! } : null;
}

/** Server-wide defaults (`[default_quotas]`), as configured (rates still strings, validated). */
export interface BandwidthDefaults {
  rateRead: string | null;
  rateWrite: string | null;
  rateReadBurst: number | null;
  rateWriteBurst: number | null;
  unauthenticatedIpRateRead: string | null;
}

/** One key's bucket: `tokens` cells (negative = debt being waited off) as of `at` (ms). */
interface Bucket {
  tokens: number;
  at: number;
}

/** Pacing for one request's body: how long to wait before sending or taking `bytes` more. */
export interface Pacer {
  delayMs(bytes: number): number;
}

/** Every this many new buckets, those idle (and so full again) for a minute are forgotten. */
const SWEEP_EVERY = 4096;

export class BandwidthThrottle {
  private readonly defaults: BandwidthDefaults;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private sinceSweep = 0;

  constructor(defaults: BandwidthDefaults, now: () => number = () => performance.now()) {
    this.defaults = defaults;
    this.now = now;
  }

  /** Whether requests without a session can ever be paced (then the IP is needed). */
  get pacesAnonymous(): boolean {
    return this.defaults.unauthenticatedIpRateRead !== null;
  }

  /** The pacer for a request of the session user `user`, or null when its traffic is not throttled. */
  forUser(user: UserRecord, direction: 'read' | 'write'): Pacer | null {
    const read = direction === 'read';
    const own = read ? user.rateRead : user.rateWrite;
    const rate = own ?? (read ? this.defaults.rateRead : this.defaults.rateWrite);
    if (rate === null) return null;
    // An override's burst goes with the override's rate; the defaults' with the defaults'.
    const burst =
      own !== null ? (read ? user.rateReadBurst : user.rateWriteBurst) : read ? this.defaults.rateReadBurst : this.defaults.rateWriteBurst;
    return this.pacer(`${direction}:${user.publicKey}`, rate, burst);
  }

  /** The pacer for a request without a session from `ip`, or null. */
  forAnonymous(ip: string): Pacer | null {
    const rate = this.defaults.unauthenticatedIpRateRead;
    return rate === null ? null : this.pacer(`ip:${ip}`, rate, null);
  }

  private pacer(key: string, rateText: string, burst: number | null): Pacer | null {
    const rate = parseBandwidth(rateText);
    // Stored rates were validated on the way in; anything else is treated as no limit.
    if (rate === null || rate === 'unlimited') return null;
    const perMs = rate.cells / rate.periodMs;
    const capacity = Math.max(1, burst ?? rate.cells);
    return {
      delayMs: (bytes: number): number => {
        const now = this.now();
        let b = this.buckets.get(key);
        if (!b) {
          if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(now);
          b = { tokens: capacity, at: now };
          this.buckets.set(key, b);
        }
        b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perMs) - bytes / CELL_BYTES;
        b.at = now;
        return b.tokens >= 0 ? 0 : -b.tokens / perMs;
      },
    };
  }

  /** Drops buckets that have refilled for a minute (they would start full anyway). */
  private sweep(now: number): void {
    this.sinceSweep = 0;
    for (const [k, b] of this.buckets) if (b.tokens >= 0 && now - b.at > 60_000) this.buckets.delete(k);
  }
}

/** Bytes handed on per step, so a paced body flows evenly instead of in bursts of one big chunk. */
const STEP_BYTES = 16 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function* steps(chunk: Uint8Array): Generator<Uint8Array> {
  if (chunk.byteLength <= STEP_BYTES) {
    yield chunk;
    return;
  }
  for (let i = 0; i < chunk.byteLength; i += STEP_BYTES) yield chunk.subarray(i, i + STEP_BYTES);
}

/** A request body, paced: each piece is handed on once the bucket can take it. */
export async function* pacedBody(body: AsyncIterable<Uint8Array>, pacer: Pacer): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    for (const piece of steps(chunk)) {
      const wait = pacer.delayMs(piece.byteLength);
      if (wait > 0) await sleep(wait);
      yield piece;
    }
  }
}

/**
 * A response body (bytes or a stream), paced the same way. Destroying the result destroys a
 * stream source too, even one never read (a generator that never started would not close it,
 * and a blob's file handle would stay open until garbage collection).
 */
export function pacedResponse(body: Uint8Array | AsyncIterable<Uint8Array>, pacer: Pacer): Readable {
  const source: AsyncIterable<Uint8Array> =
    body instanceof Uint8Array
      ? (async function* () {
          yield body;
        })()
      : body;
  const out = Readable.from(pacedBody(source, pacer), { objectMode: false });
  const destroy = (source as { destroy?: () => void }).destroy;
  if (typeof destroy === 'function') out.once('close', () => destroy.call(source));
  return out;
}
