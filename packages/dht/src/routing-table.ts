// Kademlia routing table as mainline keeps it: one bucket per distance (1..160) from our id,
// each holding at most K nodes. A full bucket only makes room by evicting a stale node.
import { compareDistance, distance, isValidBep42, parseIPv4 } from './node-id.ts';
import type { NodeInfo } from './krpc.ts';

export const K = 20;
/** A node unheard of for this long may be replaced or pinged (mainline: 15 min). */
export const STALE_MS = 15 * 60 * 1000;

export interface RoutingEntry extends NodeInfo {
  lastSeen: number;
  /** Consecutive timeouts since the last answer. */
  failures: number;
  /** BEP42-valid for its address (always true for local addresses). */
  secure: boolean;
}

export class RoutingTable {
  readonly #buckets = new Map<number, RoutingEntry[]>();
  #size = 0;

  constructor(
    readonly ownId: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#size;
  }

  /** Adds or refreshes a node that answered us. Returns false when there was no room. */
  add(node: NodeInfo): boolean {
    const d = distance(this.ownId, node.id);
    if (d === 0) return false;
    let bucket = this.#buckets.get(d);
    if (!bucket) {
      bucket = [];
      this.#buckets.set(d, bucket);
    }
    const now = this.now();
    const existing = bucket.find((e) => sameId(e.id, node.id));
    if (existing) {
      existing.lastSeen = now;
      existing.failures = 0;
      // Ids are cheap to claim: keep the address we first verified unless the old one went silent.
      return true;
    }
    const ip = parseIPv4(node.host);
    const entry: RoutingEntry = {
      id: node.id,
      host: node.host,
      port: node.port,
      lastSeen: now,
      failures: 0,
      secure: ip ? isValidBep42(node.id, ip) : false,
    };
    // One id per address: a node that restarted with a new id replaces its old entry.
    const old = this.#findAddress(node.host, node.port);
    if (old && old.bucket === bucket) {
      bucket[old.index] = entry;
      return true;
    }
    let slot = -1;
    if (bucket.length < K) {
      slot = bucket.length;
      this.#size++;
    } else {
      // Evict the worst stale or failing node, insecure ones first.
      for (let i = 0; i < bucket.length; i++) {
        const e = bucket[i];
        const bad = e.failures >= 2 || now - e.lastSeen > STALE_MS;
        if (!bad) continue;
        if (slot === -1 || (!e.secure && bucket[slot].secure) || e.lastSeen < bucket[slot].lastSeen) slot = i;
      }
      if (slot === -1) return false;
    }
    bucket[slot] = entry;
    if (old) {
      old.bucket.splice(old.index, 1);
      this.#size--;
    }
    return true;
  }

  #findAddress(host: string, port: number): { bucket: RoutingEntry[]; index: number } | null {
    for (const bucket of this.#buckets.values()) {
      const index = bucket.findIndex((e) => e.host === host && e.port === port);
      if (index !== -1) return { bucket, index };
    }
    return null;
  }

  /** Adds a node only if its bucket has a free place and its address is not in the table yet. */
  addIfRoom(node: NodeInfo): boolean {
    const d = distance(this.ownId, node.id);
    if (d === 0) return false;
    const bucket = this.#buckets.get(d);
    if (bucket && bucket.length >= K) return false;
    if (this.#findAddress(node.host, node.port)) return false;
    return this.add(node);
  }

  /** Notes a timeout; a node failing repeatedly is dropped once the bucket has others. */
  failed(id: Uint8Array): void {
    const d = distance(this.ownId, id);
    const bucket = this.#buckets.get(d);
    if (!bucket) return;
    const i = bucket.findIndex((e) => sameId(e.id, id));
    if (i === -1) return;
    bucket[i].failures++;
    if (bucket[i].failures >= 3) {
      bucket.splice(i, 1);
      this.#size--;
    }
  }

  remove(id: Uint8Array): void {
    const bucket = this.#buckets.get(distance(this.ownId, id));
    if (!bucket) return;
    const i = bucket.findIndex((e) => sameId(e.id, id));
    if (i !== -1) {
      bucket.splice(i, 1);
      this.#size--;
    }
  }

  has(id: Uint8Array): boolean {
    const bucket = this.#buckets.get(distance(this.ownId, id));
    return !!bucket && bucket.some((e) => sameId(e.id, id));
  }

  /** The `count` nodes closest to `target` by XOR distance. */
  closest(target: Uint8Array, count = K): RoutingEntry[] {
    const all = this.all();
    all.sort((a, b) => compareDistance(target, a.id, b.id));
    return all.slice(0, count);
  }

  all(): RoutingEntry[] {
    const out: RoutingEntry[] = [];
    for (const b of this.#buckets.values()) out.push(...b);
    return out;
  }

  /** Nodes not heard from for `olderThanMs` (candidates for a liveness ping). */
  stale(olderThanMs: number): RoutingEntry[] {
    const now = this.now();
    return this.all().filter((e) => now - e.lastSeen > olderThanMs);
  }

  clear(): void {
    this.#buckets.clear();
    this.#size = 0;
  }
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 20; i++) if (a[i] !== b[i]) return false;
  return true;
}
