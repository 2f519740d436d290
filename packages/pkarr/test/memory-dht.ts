// An in-memory DhtBackend for unit tests of resolver policy logic only (no network semantics).
import { bytesToHex } from '@pubky-ts/common';
import type { DhtBackend, DhtMutableItem } from '../src/dht-backend.ts';
import { PkarrError } from '../src/errors.ts';

export class MemoryDht implements DhtBackend {
  /** Every item a "node" holds, per key (several entries = several nodes with different copies). */
  readonly items = new Map<string, DhtMutableItem[]>();
  readonly gets: Array<{ key: string; seq?: number }> = [];
  readonly puts: Array<DhtMutableItem & { cas?: number }> = [];
  /** Delay before each yielded item. */
  delayMs = 0;
  /** Delay after the last item before the lookup completes. */
  tailMs = 0;
  storedAt = 12;
  failGet: Error | null = null;
  failPut: Error | null = null;

  add(item: DhtMutableItem): void {
    const k = bytesToHex(item.key);
    this.items.set(k, [...(this.items.get(k) ?? []), item]);
  }

  async *getMutable(key: Uint8Array, opts: { seq?: number; signal?: AbortSignal } = {}): AsyncIterable<DhtMutableItem> {
    const k = bytesToHex(key);
    this.gets.push({ key: k, seq: opts.seq });
    if (this.failGet) throw this.failGet;
    for (const item of this.items.get(k) ?? []) {
      if (this.delayMs) await sleep(this.delayMs, opts.signal);
      if (opts.signal?.aborted) return;
      if (opts.seq !== undefined && item.seq <= opts.seq) continue;
      yield item;
    }
    if (this.tailMs) await sleep(this.tailMs, opts.signal);
  }

  async putMutable(item: DhtMutableItem & { cas?: number }): Promise<{ storedAt: number }> {
    this.puts.push(item);
    if (this.failPut) throw this.failPut;
    const k = bytesToHex(item.key);
    const current = (this.items.get(k) ?? []).reduce<DhtMutableItem | null>((a, b) => (!a || b.seq > a.seq ? b : a), null);
    if (current && item.cas !== undefined && item.cas !== current.seq) throw new PkarrError('cas_failed', 'cas mismatch');
    if (current && item.seq < current.seq) throw new PkarrError('not_most_recent', 'older seq');
    this.items.set(k, [item]);
    return { storedAt: this.storedAt };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
