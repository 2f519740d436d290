import type { LocalBus } from '../bus.ts';

export interface OrderedFeedOptions<T> {
  /** Rows with id > `after`, ascending, at most `limit`. */
  fetch(after: number, limit: number): Promise<{ id: number; value: T }[]>;
  bus: LocalBus<T>;
  /** Highest id already delivered (normally max(id) at start-up). */
  start: number;
  /** Rows per query (default 100) and queries per wake-up before yielding (default 10). */
  batch?: number;
  maxBatchesPerWake?: number;
  /** Called with poll errors (the feed retries on the next wake-up). */
  onError?(err: unknown): void;
}

interface Waiter {
  id: number;
  /** Resolved by the first poll that starts after the waiter was registered and catches up. */
  afterGeneration: number;
  resolve(): void;
}

/**
 * Delivers rows of an append-only table (ids visible in order) on a local bus, in id order, exactly
 * once per process: `wake()` (on NOTIFY, a timer, a reconnect, or a local commit) reads everything with
 * id > the last delivered id. Lost wake-ups only add latency. Ids deleted before they were read
 * (account deletion) are simply skipped.
 */
export class OrderedFeed<T> {
  last: number;
  private running = false;
  private again = false;
  private generation = 0;
  private waiters: Waiter[] = [];
  private closed = false;
  private readonly batch: number;
  private readonly maxBatches: number;

  constructor(private readonly options: OrderedFeedOptions<T>) {
    this.last = options.start;
    this.batch = options.batch ?? 100;
    this.maxBatches = options.maxBatchesPerWake ?? 10;
  }

  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run();
  }

  /**
   * Resolves once row `id` (already committed by the caller) has been delivered on the local bus, or
   * a poll failed (the row will then come with a later wake-up). Never rejects.
   */
  waitFor(id: number): Promise<void> {
    if (id <= this.last || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ id, afterGeneration: this.generation + 1, resolve });
      this.wake();
    });
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        const gen = ++this.generation;
        let caughtUp = false;
        try {
          for (let i = 0; i < this.maxBatches && !this.closed; i++) {
            const rows = await this.options.fetch(this.last, this.batch);
            for (const r of rows) {
              if (r.id <= this.last) continue;
              this.last = r.id;
              this.options.bus.publish(r.value);
            }
            this.settle(gen, false);
            if (rows.length < this.batch) {
              caughtUp = true;
              break;
            }
          }
          if (caughtUp) this.settle(gen, true);
          else this.again = true;
        } catch (err) {
          this.options.onError?.(err);
          this.settle(gen, true, true);
        }
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
  }

  /** Resolves waiters whose row was delivered, or (when caught up) whose row no longer exists. */
  private settle(gen: number, caughtUp: boolean, failed = false): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.id <= this.last || failed) w.resolve();
      else if (caughtUp && w.afterGeneration <= gen) {
        // Committed before this poll started, yet not read: deleted meanwhile. Everything before it
        // was visible to this poll (ids become visible in order), so nothing is skipped.
        this.last = Math.max(this.last, w.id);
        w.resolve();
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}
