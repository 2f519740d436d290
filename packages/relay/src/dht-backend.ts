// What the pkarr relay needs from a Mainline DHT node: pkarr's `DhtBackend` (a getMutable stream
// and a putMutable). Injected, so the relay runs against our `@pubky-ts/dht` node, a test double,
// or nothing at all (cache only).
import { DhtNode } from '@pubky-ts/dht';
import type { DhtBackend } from '@pubky-ts/pkarr';

export type { DhtBackend, DhtMutableItem } from '@pubky-ts/pkarr';

/** Options of the DHT node a relay starts for itself. */
export interface RelayDhtNodeOptions {
  /** `"host:port"` entries; a testnet passes its swarm's bootstrap list. */
  bootstrap: string[];
  /** UDP port of the relay's node; 0 (default here) picks a free one. */
  port?: number;
  /** Bind address of the node (default 127.0.0.1). */
  host?: string;
  /** Per-request DHT timeout (reference: 2 s; testnets 100 ms). */
  requestTimeoutMs?: number;
}

/** Starts a server-mode DHT node for a relay; the relay closes it on close(). */
export async function startRelayDhtNode(opts: RelayDhtNodeOptions): Promise<DhtBackend & { close(): Promise<void> }> {
  return DhtNode.start({
    bootstrap: opts.bootstrap,
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    requestTimeoutMs: opts.requestTimeoutMs,
    serverMode: true,
  });
}

/** Error codes from a DHT put that mean "a newer (or equal-seq) item is already stored". */
export const NOT_MOST_RECENT_CODES = new Set(['not_most_recent', 'NotMostRecent']);
export const CAS_FAILED_CODES = new Set(['cas_failed', 'CasFailed']);

/** Texts the reference relay sends with 503 when a lookup reached nobody useful (spec §6.2). */
export function dhtUnavailableText(code: string | undefined): string | null {
  switch (code) {
    case 'no_nodes_queried':
      return 'No DHT nodes were queried';
    case 'no_nodes_responded':
      return 'No queried DHT nodes responded';
    case 'no_usable_responses':
      return 'No responded DHT nodes returned usable response';
    default:
      return null;
  }
}
