/** A BEP44 mutable item as pkarr maps a SignedPacket onto it (spec §4.1; no salt). */
export interface DhtMutableItem {
  /** 32-byte public key (`k`) */
  key: Uint8Array;
  /** the packet timestamp in µs */
  seq: number;
  /** the encoded DNS packet, ≤ 1000 bytes */
  value: Uint8Array;
  /** 64-byte Ed25519 signature */
  signature: Uint8Array;
}

/**
 * What pkarr needs from a Mainline DHT node. Injected so this package never imports the DHT
 * (and stays browser-safe); `@pubky-ts/dht`'s node fits it.
 *
 * Implementations should throw PubkyErrors and use the codes `not_most_recent` (a majority of
 * storing nodes answered 302) and `cas_failed` (301) so the publisher can tell conflicts apart.
 */
export interface DhtBackend {
  /**
   * Streams mutable items for `key` (target = sha1(key)) as responders answer, duplicates and any
   * order allowed. With `seq`, nodes holding that seq or older send no value. `signal` ends the
   * lookup early (optional for implementations).
   */
  getMutable(key: Uint8Array, opts?: { seq?: number; signal?: AbortSignal }): AsyncIterable<DhtMutableItem>;
  /** Stores the item at the closest nodes; resolves with how many acknowledged. */
  putMutable(item: DhtMutableItem & { cas?: number }): Promise<{ storedAt: number }>;
}
