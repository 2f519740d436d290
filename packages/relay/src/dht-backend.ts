// What the pkarr relay needs from a Mainline DHT node. Injected, so the relay runs against our
// `@pubky-ts/dht` node, a test double, or nothing at all (cache-only).

export interface DhtMutableItem {
  key: Uint8Array;
  seq: number;
  value: Uint8Array;
  signature: Uint8Array;
}

export interface DhtBackend {
  /**
   * Streams mutable items for `key` (target = sha1(key)) as responders answer. With `seq`, nodes
   * holding `seq` or older answer without the value (BEP44), so only newer items arrive.
   */
  getMutable(key: Uint8Array, opts?: { seq?: number }): AsyncIterable<DhtMutableItem>;
  /** Stores the item at the closest nodes; resolves with how many acknowledged. */
  putMutable(item: DhtMutableItem & { cas?: number }): Promise<{ storedAt: number }>;
}

/** Error codes from a DHT put that mean "a newer (or equal-seq) item is already stored". */
export const NOT_MOST_RECENT_CODES = new Set(['not_most_recent', 'NotMostRecent']);
export const CAS_FAILED_CODES = new Set(['cas_failed', 'CasFailed']);

/** Texts the reference relay sends with 503 when a lookup reached nobody useful (spec §6.2). */
export function dhtUnavailableText(code: string | undefined): string | null {
  switch (code) {
    case 'no_nodes_queried':
    case 'NoNodesQueried':
    case 'no_dht_nodes_queried':
      return 'No DHT nodes were queried';
    case 'no_nodes_responded':
    case 'NoNodesResponded':
    case 'no_responses':
      return 'No queried DHT nodes responded';
    case 'no_usable_responses':
    case 'NoUsableResponses':
      return 'No responded DHT nodes returned usable response';
    default:
      return null;
  }
}
