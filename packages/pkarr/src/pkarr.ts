import { type Keypair, PublicKey } from '@pubky-ts/common';
import { PublishAccumulator, ResolveAccumulator } from './accumulators.ts';
import type { DhtBackend } from './dht-backend.ts';
import { resolveFromDht } from './dht-resolve.ts';
import { resolveEndpoints, type Endpoint, type EndpointOptions } from './endpoints.ts';
import { PkarrError } from './errors.ts';
import { DEFAULT_CACHE_SIZE, LruPacketCache, type PacketCache } from './packet-cache.ts';
import { homeserverOf, withHomeserver } from './pubky-record.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, RelayClient, type ResolvePolicy } from './relay-client.ts';
import { DEFAULT_MAXIMUM_TTL, DEFAULT_MINIMUM_TTL, type SignedPacket } from './signed-packet.ts';

/** Public relays the reference client uses when none are given. */
export const DEFAULT_RELAYS: readonly string[] = ['https://pkarr.pubky.app', 'https://pkarr.pubky.org'];

export interface PkarrOptions {
  /** Relay base URLs; default `DEFAULT_RELAYS`; `[]` for none. */
  relays?: string[];
  /** A Mainline DHT node (not available in browsers). */
  dht?: DhtBackend;
  /** Packets kept in the in-memory LRU cache (default 1000; 0 disables caching). */
  cacheSize?: number;
  /** A cache of your own instead of the in-memory LRU. */
  cache?: PacketCache;
  /** TTL bounds in seconds (default 300 and 86400). */
  minTtl?: number;
  maxTtl?: number;
  /** Per relay request (default 2000 ms). DHT timeouts belong to the DHT node. */
  requestTimeoutMs?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface ResolveOptions {
  /** Default CacheFirst. */
  policy?: ResolvePolicy;
  signal?: AbortSignal;
}

export interface PublishOptions {
  /** Compare-and-swap: the timestamp (µs) of the packet this one replaces. */
  cas?: number;
  signal?: AbortSignal;
}

/**
 * A pkarr client: resolves and publishes SignedPackets through a DHT node and any number of
 * relays at once, with an LRU cache in front (spec §5).
 *
 * - `resolve` answers null when no backend has a (fresh) packet, and throws a PkarrError when
 *   they failed (`invalid_signed_packet`, `dht_unavailable`, `relay_timeout`, ...).
 * - CacheFirst (default): a cached packet that has not expired, else the first fresh packet the
 *   network returns that is not older than the cached one. Expired packets are never returned
 *   (a newer expired one only updates the cache).
 * - CacheOnly: the cached packet even if expired, else the relays' caches (`?policy=CacheOnly`).
 * - NetworkOnly: asks the whole DHT and every relay, waits for all, returns the newest (never an
 *   expired one).
 */
export class Pkarr {
  readonly cache: PacketCache;
  readonly relays: readonly RelayClient[];
  readonly dht: DhtBackend | null;
  readonly minTtl: number;
  readonly maxTtl: number;
  /**
   * What close() stops in each resolve still running. A Set rather than one abort listener per
   * resolve on a shared signal: more than ten concurrent resolves made Node warn of a listener leak
   * (MaxListenersExceededWarning), and `events.setMaxListeners` is not in browsers.
   */
  readonly #onClose = new Set<() => void>();
  readonly #background = new Set<Promise<unknown>>();

  constructor(options: PkarrOptions = {}) {
    const relays = options.relays ?? [...DEFAULT_RELAYS];
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.relays = relays.map((url) => new RelayClient(url, { timeoutMs, fetch: options.fetch }));
    this.dht = options.dht ?? null;
    if (this.relays.length === 0 && !this.dht) throw new PkarrError('no_network', 'a pkarr client needs at least one relay or a DHT node');
    this.cache = options.cache ?? new LruPacketCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
    this.minTtl = options.minTtl ?? DEFAULT_MINIMUM_TTL;
    this.maxTtl = Math.max(options.maxTtl ?? DEFAULT_MAXIMUM_TTL, this.minTtl);
  }

  /** Resolves the packet of `key` (a PublicKey or anything `PublicKey.parse` accepts). */
  async resolve(key: PublicKey | string, options: ResolveOptions = {}): Promise<SignedPacket | null> {
    const pk = typeof key === 'string' ? PublicKey.parse(key) : key;
    const policy = options.policy ?? 'CacheFirst';
    const cached = this.cache.get(pk.z32) ?? null;
    if (policy === 'CacheOnly' && cached) return cached;
    if (policy === 'CacheFirst' && cached && !cached.isExpired(this.minTtl, this.maxTtl)) return cached;
    if (policy !== 'CacheOnly' && policy !== 'CacheFirst' && policy !== 'NetworkOnly') {
      throw new RangeError(`unknown resolve policy ${JSON.stringify(policy)}`);
    }
    const floor = policy === 'CacheFirst' ? cached : null;
    let packet: SignedPacket;
    try {
      packet = await this.#query(pk, policy, floor, options.signal);
    } catch (e) {
      if (e instanceof PkarrError && e.code === 'not_found') return null;
      if (e instanceof PkarrError && e.code === 'invalid_signed_packet' && floor && floor.timestamp >= (e.seq ?? 0)) return null;
      throw e;
    }
    if (floor && floor.moreRecentThan(packet)) return null;
    this.#updateCache(packet);
    if (policy !== 'CacheOnly' && packet.isExpired(this.minTtl, this.maxTtl)) return null;
    return packet;
  }

  /**
   * Publishes to the DHT and every relay at once; resolves with the largest count of DHT nodes
   * that stored it. Refuses (`not_most_recent`) when the cache holds a newer packet, and
   * (`cas_failed`) when `cas` is given and the cache holds a newer packet than `cas`. Concurrent
   * publishes for one key are not serialized: callers must.
   */
  async publish(packet: SignedPacket, options: PublishOptions = {}): Promise<number> {
    const key = packet.publicKey.z32;
    const cached = this.cache.peek(key);
    if (cached && cached.moreRecentThan(packet)) {
      throw new PkarrError(
        'not_most_recent',
        `a more recent packet of ${key} is known (timestamp ${cached.timestamp}, this one ${packet.timestamp})`,
      );
    }
    if (options.cas !== undefined && cached && !cached.isSameAs(packet) && cached.timestamp > options.cas) {
      throw new PkarrError('cas_failed', `cas ${options.cas} is older than the known packet of ${key} (timestamp ${cached.timestamp})`);
    }
    const acc = new PublishAccumulator();
    const jobs: Promise<void>[] = [];
    if (this.dht) {
      const dht = this.dht;
      jobs.push(
        (async () => {
          const item = { key: packet.publicKey.bytes, seq: packet.timestamp, value: packet.dnsBytes, signature: packet.signature };
          const r = await dht.putMutable(options.cas === undefined ? item : { ...item, cas: options.cas });
          acc.recordSuccess(r.storedAt);
        })().catch((e) => acc.recordError(e)),
      );
    }
    for (const relay of this.relays) {
      jobs.push(
        relay.publish(packet, { cas: options.cas, signal: options.signal }).then(
          (n) => acc.recordSuccess(n),
          (e) => acc.recordError(e),
        ),
      );
    }
    await Promise.all(jobs);
    const storedAt = acc.result();
    this.#updateCache(packet);
    return storedAt;
  }

  /** HTTPS (or SVCB) endpoints for `qname`, in the order to try them (spec §3.1). */
  async *endpoints(qname: string, options: EndpointOptions = {}): AsyncGenerator<Endpoint> {
    yield* resolveEndpoints((key) => this.resolve(key), qname, options);
  }

  /** The first endpoint for `qname`, or null. */
  async endpoint(qname: string, options: EndpointOptions = {}): Promise<Endpoint | null> {
    for await (const e of this.endpoints(qname, options)) return e;
    return null;
  }

  /** The homeserver a user's `_pubky` record points to, or null. */
  async resolveHomeserver(user: PublicKey | string, options: ResolveOptions = {}): Promise<PublicKey | null> {
    const packet = await this.resolve(user, options);
    return packet ? homeserverOf(packet) : null;
  }

  /**
   * Points the user's `_pubky` record at `homeserver`, keeping their other records: reads the
   * newest packet (NetworkOnly, reconciled with the cache), edits it, publishes with `cas` = the
   * previous timestamp. Retries up to 3 times on a conflict. Resolves with the published packet.
   */
  async publishHomeserver(
    keypair: Keypair,
    homeserver: PublicKey,
    options: { ttl?: number; signal?: AbortSignal } = {},
  ): Promise<SignedPacket> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const previous = await this.#newest(keypair.publicKey, options.signal);
      const packet = withHomeserver(keypair, homeserver, previous, { ttl: options.ttl });
      try {
        await this.publish(packet, { cas: previous?.timestamp, signal: options.signal });
        return packet;
      } catch (e) {
        lastError = e;
        if (!(e instanceof PkarrError) || !['not_most_recent', 'cas_failed', 'conflict_risk'].includes(e.code)) throw e;
      }
    }
    throw lastError;
  }

  /** Stops background DHT lookups and waits for them. */
  async close(): Promise<void> {
    for (const stop of [...this.#onClose]) stop();
    await Promise.allSettled([...this.#background]);
  }

  async #newest(key: PublicKey, signal?: AbortSignal): Promise<SignedPacket | null> {
    let network: SignedPacket | null = null;
    try {
      network = await this.resolve(key, { policy: 'NetworkOnly', signal });
    } catch (e) {
      if (!(e instanceof PkarrError) || e.code === 'aborted') throw e;
    }
    const cached = this.cache.peek(key.z32) ?? null;
    if (network && cached) return cached.moreRecentThan(network) ? cached : network;
    return network ?? cached;
  }

  #updateCache(packet: SignedPacket): void {
    const key = packet.publicKey.z32;
    const current = this.cache.peek(key);
    if (!current || packet.moreRecentThan(current) || (packet.isSameAs(current) && packet.lastSeen > current.lastSeen)) {
      this.cache.put(key, packet);
    }
  }

  /** Asks every backend the policy allows, concurrently, and merges their answers. */
  #query(key: PublicKey, policy: ResolvePolicy, floor: SignedPacket | null, signal?: AbortSignal): Promise<SignedPacket> {
    if (signal?.aborted) return Promise.reject(new PkarrError('aborted', 'the resolve was aborted'));
    const acc = new ResolveAccumulator(policy === 'CacheFirst' ? { cached: floor, minTtl: this.minTtl, maxTtl: this.maxTtl } : null);
    const completeEarly = policy !== 'NetworkOnly';
    // Relays stop once the resolve is settled; the DHT lookup keeps refreshing the cache until it
    // completes, the caller aborts, or the client is closed.
    const relayStop = new AbortController();
    const dhtStop = new AbortController();
    const onClose = this.#onClose;

    return new Promise<SignedPacket>((resolve, reject) => {
      let settled = false;
      let pending = 0;
      const stopRelays = () => relayStop.abort();
      const stopAll = () => {
        relayStop.abort();
        dhtStop.abort();
        settle(() => reject(new PkarrError('aborted', 'the resolve was aborted')));
      };
      const stopDht = () => dhtStop.abort();
      onClose.add(stopRelays);
      signal?.addEventListener('abort', stopAll, { once: true });

      function settle(fn: () => void): void {
        if (settled) return;
        settled = true;
        relayStop.abort();
        onClose.delete(stopRelays);
        signal?.removeEventListener('abort', stopAll);
        fn();
      }
      const settleWithResult = () =>
        settle(() => {
          try {
            resolve(acc.result());
          } catch (e) {
            reject(e);
          }
        });
      const finish = () => {
        if (--pending === 0) settleWithResult();
      };
      const onPacket = (packet: SignedPacket) => {
        if (settled) {
          this.#updateCache(packet);
          return;
        }
        if (acc.recordPacket(packet) && completeEarly) settleWithResult();
      };
      const onError = (e: unknown) => {
        if (!settled) acc.recordError(e);
      };

      const newerThan = policy === 'CacheFirst' && floor && floor.timestamp >= 1_000_000 ? floor.timestamp - 1_000_000 : undefined;
      for (const relay of this.relays) {
        pending++;
        relay
          .resolve(key, { policy, newerThan, bypassCache: policy === 'NetworkOnly', signal: relayStop.signal })
          .then(onPacket, onError)
          .finally(finish);
      }
      if (this.dht && policy !== 'CacheOnly') {
        pending++;
        onClose.add(stopDht);
        signal?.addEventListener('abort', stopDht, { once: true });
        const seq = policy === 'CacheFirst' && floor && floor.timestamp > 0 ? floor.timestamp - 1 : undefined;
        const job: Promise<void> = resolveFromDht(this.dht, key, { seq, signal: dhtStop.signal }, onPacket)
          .then((e) => {
            if (e) onError(e);
          })
          .finally(() => {
            this.#background.delete(job);
            onClose.delete(stopDht);
            signal?.removeEventListener('abort', stopDht);
            finish();
          });
        this.#background.add(job);
      }
      if (pending === 0) settle(() => reject(new PkarrError('not_found', `no relay to ask for ${key.z32} with policy ${policy}`)));
    });
  }
}
