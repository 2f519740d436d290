// PKDNS as the SDK uses it: a user's `_pubky` pointer to their homeserver, and the homeserver's own
// HTTPS records that say where to reach it over HTTP (spec pkarr-dht-relay §3, homeserver §6, §11).
import type { PublicKey, Keypair } from '@pubky-ts/common';
import {
  homeserverOf,
  mirrorsOf,
  PUBKY_RECORD_TTL,
  selectHomeserverEndpoint,
  withHomeserver,
  type HomeserverEndpoint,
  type Pkarr,
  type SignedPacket,
} from '@pubky-ts/pkarr';
import { PkarrResolutionError } from './errors.ts';

/** Where signed packets come from and go to (relays, the DHT, or both). */
export interface PacketSource {
  /**
   * The newest packet known for `key`, or null when none exists. `fresh: true` asks to skip any cache
   * (used before a read-modify-write publish).
   */
  resolve(key: PublicKey, options?: { fresh?: boolean; signal?: AbortSignal }): Promise<SignedPacket | null>;
  publish(packet: SignedPacket, options?: { signal?: AbortSignal }): Promise<void>;
}

export const PUBKY_RECORD_NAME = '_pubky';
/** Sign-in republishes the `_pubky` record when it is older than this (reference DEFAULT_STALE_AFTER). */
export const STALE_AFTER_MS = 3_600_000;

export interface PkdnsOptions {
  /** Host names served over plain HTTP on the SvcParam-65280 port (testnet); `localhost` always is. */
  httpHosts?: Iterable<string>;
  /** How long resolved pointers and endpoints are kept. Default 300 s (pkarr's minimum TTL). */
  cacheTtlMs?: number;
  now?: () => number;
}

interface Cached<T> {
  value: T;
  expires: number;
}

/** The homeserver key a `_pubky` record points at (first HTTPS/SVCB record at `_pubky`), or null. */
export function homeserverFromPacket(packet: SignedPacket): PublicKey | null {
  return homeserverOf(packet);
}

/** A PacketSource over `@pubky-ts/pkarr`'s client (relays and/or a DHT node, with its LRU cache). */
export class PkarrPacketSource implements PacketSource {
  constructor(readonly pkarr: Pkarr) {}
  resolve(key: PublicKey, options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<SignedPacket | null> {
    return this.pkarr.resolve(key, { policy: options.fresh ? 'NetworkOnly' : 'CacheFirst', signal: options.signal });
  }
  async publish(packet: SignedPacket, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.pkarr.publish(packet, { signal: options.signal });
  }
}

/** Resolution with a small cache; every failure is a `PkarrResolutionError`. */
export class Pkdns {
  readonly source: PacketSource;
  private readonly httpHosts: Set<string>;
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly homeservers = new Map<string, Cached<PublicKey>>();
  private readonly mirrors = new Map<string, Cached<PublicKey[]>>();
  private readonly endpoints = new Map<string, Cached<HomeserverEndpoint>>();

  constructor(source: PacketSource, options: PkdnsOptions = {}) {
    this.source = source;
    this.httpHosts = new Set([...(options.httpHosts ?? [])].map((h) => h.toLowerCase()));
    this.ttl = options.cacheTtlMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  private async packet(key: PublicKey, signal?: AbortSignal): Promise<SignedPacket | null> {
    try {
      return await this.source.resolve(key, { signal });
    } catch (e) {
      throw new PkarrResolutionError(
        'pkarr_unavailable',
        key.z32,
        `could not resolve the PKARR packet of ${key.z32}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** The homeserver the user's `_pubky` record names; null when the user has no packet or no record. */
  async getHomeserverOf(user: PublicKey, signal?: AbortSignal): Promise<PublicKey | null> {
    const hit = this.homeservers.get(user.z32);
    if (hit && hit.expires > this.now()) return hit.value;
    const packet = await this.packet(user, signal);
    if (!packet) return null;
    const hs = homeserverFromPacket(packet);
    if (hs) this.rememberHomeserver(user, hs);
    return hs;
  }

  /** Like getHomeserverOf, but a missing pointer is an error. */
  async requireHomeserverOf(user: PublicKey, signal?: AbortSignal): Promise<PublicKey> {
    const hit = this.homeservers.get(user.z32);
    if (hit && hit.expires > this.now()) return hit.value;
    const packet = await this.packet(user, signal);
    if (!packet) {
      throw new PkarrResolutionError(
        'user_packet_not_found',
        user.z32,
        `no PKARR packet found for ${user.z32}: the user has not signed up anywhere, or their record expired`,
      );
    }
    const hs = homeserverFromPacket(packet);
    if (!hs) {
      throw new PkarrResolutionError(
        'homeserver_not_found',
        user.z32,
        `the PKARR packet of ${user.z32} has no usable _pubky record naming a homeserver`,
      );
    }
    this.rememberHomeserver(user, hs);
    return hs;
  }

  rememberHomeserver(user: PublicKey, homeserver: PublicKey): void {
    this.homeservers.set(user.z32, { value: homeserver, expires: this.now() + this.ttl });
  }

  /**
   * The user's mirror homeservers (`_pubky` records after the primary, by preference), cached like
   * the homeserver pointer; empty when the user has no packet or no mirrors.
   */
  async getMirrorsOf(user: PublicKey, signal?: AbortSignal): Promise<PublicKey[]> {
    const hit = this.mirrors.get(user.z32);
    if (hit && hit.expires > this.now()) return hit.value;
    const packet = await this.packet(user, signal);
    const list = packet ? mirrorsOf(packet) : [];
    this.rememberMirrors(user, list);
    return list;
  }

  rememberMirrors(user: PublicKey, mirrors: PublicKey[]): void {
    this.mirrors.set(user.z32, { value: [...mirrors], expires: this.now() + this.ttl });
  }

  async getEndpoint(homeserver: PublicKey, signal?: AbortSignal): Promise<HomeserverEndpoint> {
    const hit = this.endpoints.get(homeserver.z32);
    if (hit && hit.expires > this.now()) return hit.value;
    const packet = await this.packet(homeserver, signal);
    if (!packet) {
      throw new PkarrResolutionError(
        'homeserver_packet_not_found',
        homeserver.z32,
        `no PKARR packet found for the homeserver ${homeserver.z32}`,
      );
    }
    const endpoint = selectHomeserverEndpoint(packet, this.httpHosts);
    if (!endpoint) {
      throw new PkarrResolutionError(
        'no_usable_endpoint',
        homeserver.z32,
        `the homeserver ${homeserver.z32} publishes no HTTPS record with a domain this client can reach (Pubky TLS endpoints need a native client)`,
      );
    }
    this.endpoints.set(homeserver.z32, { value: endpoint, expires: this.now() + this.ttl });
    return endpoint;
  }

  /** Forgets what was cached about a key (after a connection failure, the endpoint may have moved). */
  forget(key: PublicKey): void {
    this.homeservers.delete(key.z32);
    this.mirrors.delete(key.z32);
    this.endpoints.delete(key.z32);
  }

  /**
   * Publishes the user's `_pubky` record pointing at `homeserver`, keeping every other record of their
   * packet. With `ifOlderThanMs`, does nothing when the current record already points there and is
   * younger. Answers whether a packet was published.
   */
  async publishHomeserver(
    keypair: Keypair,
    homeserver: PublicKey,
    options: { ifOlderThanMs?: number; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const user = keypair.publicKey;
    let current: SignedPacket | null;
    try {
      current = await this.source.resolve(user, { fresh: true, signal: options.signal });
    } catch (e) {
      throw new PkarrResolutionError(
        'publish_failed',
        user.z32,
        `could not read the current packet of ${user.z32} before publishing: ${(e as Error).message}`,
        { cause: e },
      );
    }
    if (current && options.ifOlderThanMs !== undefined) {
      const ageMs = this.now() - current.timestamp / 1000;
      if (ageMs < options.ifOlderThanMs && homeserverFromPacket(current)?.equals(homeserver)) return false;
    }
    const packet = withHomeserver(keypair, homeserver, current, { ttl: PUBKY_RECORD_TTL });
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.source.publish(packet, { signal: options.signal });
        this.rememberHomeserver(user, homeserver);
        return true;
      } catch (e) {
        lastError = e;
        if (options.signal?.aborted) break;
      }
    }
    throw new PkarrResolutionError(
      'publish_failed',
      user.z32,
      `could not publish the _pubky record of ${user.z32}: ${(lastError as Error).message}`,
      { cause: lastError },
    );
  }
}
