// A PacketSource over pkarr relays (HTTP `GET`/`PUT /<z32>`, spec pkarr-dht-relay §5.3, §6).
// Local adapter: used until (or unless) @pubky-ts/pkarr provides a resolver with the same duties.
import type { PublicKey } from '@pubky-ts/common';
import { SignedPacket } from '@pubky-ts/pkarr';
import type { FetchLike } from './channel.ts';
import type { PacketSource } from './pkdns.ts';

export interface RelaySourceOptions {
  fetch?: FetchLike;
  /** Per-request timeout. Default 2 s (pkarr's DEFAULT_REQUEST_TIMEOUT). */
  timeoutMs?: number;
  now?: () => number;
}

const MAX_BODY = 1072;

export class RelayPacketSource implements PacketSource {
  readonly relays: string[];
  private readonly doFetch: FetchLike;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, SignedPacket>();

  constructor(relays: string[], options: RelaySourceOptions = {}) {
    if (relays.length === 0) throw new Error('RelayPacketSource needs at least one relay');
    this.relays = relays.map((r) => r.replace(/\/+$/, ''));
    this.doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, timeout]) : timeout;
  }

  async resolve(key: PublicKey, options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<SignedPacket | null> {
    const cached = this.cache.get(key.z32);
    if (!options.fresh && cached && !cached.isExpired(undefined, undefined, this.now() * 1000)) return cached;
    const results = await Promise.allSettled(this.relays.map((relay) => this.get(relay, key, options)));
    let best: SignedPacket | null = cached ?? null;
    let errors = 0;
    let lastError: unknown;
    for (const r of results) {
      if (r.status === 'rejected') {
        errors++;
        lastError = r.reason;
      } else if (r.value && (!best || r.value.moreRecentThan(best))) {
        best = r.value;
      }
    }
    if (errors === results.length && !best) throw lastError;
    if (best) this.cache.set(key.z32, best);
    return best;
  }

  private async get(relay: string, key: PublicKey, options: { fresh?: boolean; signal?: AbortSignal }): Promise<SignedPacket | null> {
    const headers: Record<string, string> = {};
    if (options.fresh) headers['cache-control'] = 'no-cache, no-store, must-revalidate';
    const res = await this.doFetch(`${relay}/${key.z32}`, { headers, signal: this.signal(options.signal) });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      return null;
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new Error(`relay ${relay} answered ${res.status} ${text.slice(0, 120)}`);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    if (body.length > MAX_BODY) throw new Error(`relay ${relay} sent ${body.length} bytes, more than a packet can be`);
    return SignedPacket.fromRelayPayload(key, body, { lastSeen: this.now() * 1000 });
  }

  async publish(packet: SignedPacket, options: { signal?: AbortSignal } = {}): Promise<void> {
    const results = await Promise.allSettled(
      this.relays.map(async (relay) => {
        const res = await this.doFetch(`${relay}/${packet.publicKey.z32}`, {
          method: 'PUT',
          body: packet.toRelayPayload() as BodyInit,
          headers: { 'content-type': 'application/pkarr.org/relays#payload' },
          signal: this.signal(options.signal),
        });
        const text = await res.text().catch(() => '');
        if (!res.ok) throw new Error(`relay ${relay} refused the packet with ${res.status} ${text.slice(0, 120)}`);
      }),
    );
    const ok = results.some((r) => r.status === 'fulfilled');
    if (!ok) throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    this.cache.set(packet.publicKey.z32, packet);
  }
}
