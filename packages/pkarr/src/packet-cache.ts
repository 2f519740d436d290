import type { SignedPacket } from './signed-packet.ts';

export const DEFAULT_CACHE_SIZE = 1000;

/** Where a client keeps the packets it has seen, keyed by the z32 public key. */
export interface PacketCache {
  /** Reads and marks as recently used. */
  get(key: string): SignedPacket | undefined;
  /** Reads without touching recency. */
  peek(key: string): SignedPacket | undefined;
  put(key: string, packet: SignedPacket): void;
  delete(key: string): void;
  readonly size: number;
}

/** In-memory least-recently-used cache; a capacity of 0 stores nothing. */
export class LruPacketCache implements PacketCache {
  readonly capacity: number;
  readonly #map = new Map<string, SignedPacket>();

  constructor(capacity = DEFAULT_CACHE_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`cache capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): SignedPacket | undefined {
    const p = this.#map.get(key);
    if (p !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, p);
    }
    return p;
  }

  peek(key: string): SignedPacket | undefined {
    return this.#map.get(key);
  }

  put(key: string, packet: SignedPacket): void {
    if (this.capacity === 0) return;
    this.#map.delete(key);
    this.#map.set(key, packet);
    while (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as string);
  }

  delete(key: string): void {
    this.#map.delete(key);
  }
}
