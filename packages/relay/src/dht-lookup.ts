import type { PublicKey } from '@pubky-ts/common';
import type { DhtBackend } from './dht-backend.ts';
import { moreRecentThan, packetFromMutableItem, type RelayPacket } from './relay-packet.ts';

/** Outcome of one DHT lookup for a key, shared by concurrent requests. */
export class DhtLookup {
  best: RelayPacket | null = null;
  maxInvalidSeq = -1;
  error: unknown = null;
  readonly first: Promise<RelayPacket | null>;
  readonly done: Promise<void>;
  private resolveFirst!: (p: RelayPacket | null) => void;
  private readonly controller = new AbortController();

  constructor(
    dht: DhtBackend,
    readonly key: PublicKey,
    readonly floor: RelayPacket | undefined,
    timeoutMs: number,
    onPacket: (p: RelayPacket) => void,
  ) {
    this.first = new Promise((r) => (this.resolveFirst = r));
    this.done = this.run(dht, timeoutMs, onPacket).finally(() => this.resolveFirst(this.best));
  }

  /** Stops the lookup (relay shutdown). */
  abort(): void {
    this.controller.abort();
  }

  private async run(dht: DhtBackend, timeoutMs: number, onPacket: (p: RelayPacket) => void): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
      this.controller.signal.addEventListener('abort', () => r('timeout'), { once: true });
    });
    let it: AsyncIterator<{ key: Uint8Array; seq: number; value: Uint8Array; signature: Uint8Array }> | undefined;
    try {
      const opts = this.floor ? { seq: this.floor.timestamp - 1 } : undefined;
      it = dht.getMutable(this.key.bytes, { ...opts, signal: this.controller.signal })[Symbol.asyncIterator]();
      for (;;) {
        const r = await Promise.race([it.next(), timedOut]);
        if (r === 'timeout' || r.done) break;
        const item = r.value;
        let p: RelayPacket;
        try {
          p = packetFromMutableItem(this.key, item);
        } catch {
          if (Number.isSafeInteger(item.seq) && item.seq > this.maxInvalidSeq) this.maxInvalidSeq = item.seq;
          continue;
        }
        if (this.floor && moreRecentThan(this.floor, p)) continue;
        if (!this.best || moreRecentThan(p, this.best)) {
          this.best = p;
          onPacket(p);
          this.resolveFirst(p);
        }
      }
    } catch (e) {
      this.error = e;
    } finally {
      clearTimeout(timer);
      this.controller.abort();
      // Do not wait: a generator suspended on a slow network call finishes on its own.
      void it?.return?.()?.catch(() => {});
    }
  }
}
