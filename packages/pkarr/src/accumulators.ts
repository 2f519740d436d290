import { PubkyError } from '@pubky-ts/common';
import { PkarrError } from './errors.ts';
import type { SignedPacket } from './signed-packet.ts';

export interface CacheContext {
  cached: SignedPacket | null;
  minTtl: number;
  maxTtl: number;
}

function newest(current: SignedPacket | null, packet: SignedPacket): SignedPacket {
  if (current && (current.moreRecentThan(packet) || (current.isSameAs(packet) && current.lastSeen >= packet.lastSeen))) return current;
  return packet;
}

// Ties between equally common errors go to the more telling one.
const RESOLVE_ERROR_PRIORITY: Record<string, number> = {
  invalid_signed_packet: 5,
  not_found: 4,
  dht_unavailable: 3,
  dht_error: 2,
  relay_timeout: 1,
};

function mostCommon(errors: Map<string, { count: number; error: PubkyError }>, priority: Record<string, number> = {}): PubkyError | null {
  let best: { count: number; error: PubkyError } | null = null;
  for (const entry of errors.values()) {
    if (
      !best ||
      entry.count > best.count ||
      (entry.count === best.count && (priority[entry.error.code] ?? 0) > (priority[best.error.code] ?? 0))
    )
      best = entry;
  }
  return best?.error ?? null;
}

/**
 * Collects the answers of every backend for one resolve (spec §5.2 merge rule): with a cache
 * context (CacheFirst) packets below the cached floor count as empty and only fresh packets may
 * complete the resolve early; a fresh candidate beats a newer expired one; a strictly newer
 * invalid item outranks every valid packet; without packets the most common error wins.
 */
export class ResolveAccumulator {
  readonly #context: CacheContext | null;
  #mostRecent: SignedPacket | null = null;
  #fresh: SignedPacket | null = null;
  #highestInvalid: number | null = null;
  #empty = 0;
  readonly #errors = new Map<string, { count: number; error: PubkyError }>();

  constructor(context: CacheContext | null) {
    this.#context = context;
  }

  /** Records a packet; true when it may complete the resolve. */
  recordPacket(packet: SignedPacket): boolean {
    const ctx = this.#context;
    if (ctx?.cached && ctx.cached.moreRecentThan(packet)) {
      this.#empty++;
      return false;
    }
    const acceptable = !ctx || ctx.maxTtl === 0 || !packet.isExpired(ctx.minTtl, ctx.maxTtl);
    if (acceptable && ctx) this.#fresh = newest(this.#fresh, packet);
    this.#mostRecent = newest(this.#mostRecent, packet);
    return acceptable;
  }

  recordError(error: unknown): void {
    const e = error instanceof PubkyError ? error : new PkarrError('dht_error', String(error));
    if (e.code === 'not_found') {
      this.#empty++;
      return;
    }
    if (e.code === 'invalid_signed_packet') {
      const seq = (e as PkarrError).seq ?? 0;
      const cached = this.#context?.cached;
      if (cached && seq >= 0 && cached.timestamp >= seq) {
        this.#empty++;
        return;
      }
      this.#highestInvalid = this.#highestInvalid === null ? seq : Math.max(this.#highestInvalid, seq);
      return;
    }
    const entry = this.#errors.get(e.code);
    if (entry) entry.count++;
    else this.#errors.set(e.code, { count: 1, error: e });
  }

  /** The chosen packet, or throws the chosen PkarrError (`not_found` when all answers were empty). */
  result(): SignedPacket {
    const packet = this.#fresh ?? this.#mostRecent;
    const invalid = this.#highestInvalid;
    if (packet && (invalid === null || packet.timestamp >= invalid)) return packet;
    if (invalid !== null) {
      throw new PkarrError('invalid_signed_packet', `the newest item (seq ${invalid}) is not a valid signed packet`, { seq: invalid });
    }
    const error = mostCommon(this.#errors, RESOLVE_ERROR_PRIORITY);
    if (error) throw error;
    throw new PkarrError('not_found', 'no relay or DHT node has a packet for this key');
  }
}

/**
 * Collects publish results (spec §5.4): conflicts (`not_most_recent`, `cas_failed`) win when at
 * least as many backends reported them as succeeded; otherwise any success wins with the largest
 * stored-node count (not the sum: backends may reach the same nodes); otherwise the most common error.
 */
export class PublishAccumulator {
  #successes = 0;
  #maxStored = 0;
  readonly #errors = new Map<string, { count: number; error: PubkyError }>();

  recordSuccess(storedAt: number): void {
    this.#successes++;
    this.#maxStored = Math.max(this.#maxStored, storedAt);
  }

  recordError(error: unknown): void {
    const e =
      error instanceof PubkyError
        ? error
        : new PkarrError('dht_error', `publish failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    const entry = this.#errors.get(e.code);
    if (entry) entry.count++;
    else this.#errors.set(e.code, { count: 1, error: e });
  }

  result(): number {
    const conflicts = ['not_most_recent', 'cas_failed']
      .map((c) => this.#errors.get(c))
      .filter((x): x is { count: number; error: PubkyError } => x !== undefined && x.count >= this.#successes)
      .sort((a, b) => b.count - a.count);
    if (conflicts.length > 0) throw conflicts[0].error;
    if (this.#successes > 0) return this.#maxStored;
    throw mostCommon(this.#errors) ?? new PkarrError('no_network', 'nothing to publish to');
  }
}
