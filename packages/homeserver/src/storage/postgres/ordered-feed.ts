import type { LocalBus } from '../bus.ts';

export interface OrderedFeedOptions<T> {
  /** Rows with id > `after`, ascending, at most `limit`. */
  fetch(after: number, limit: number): Promise<{ id: number; value: T }[]>;
  bus: LocalBus<T>;
  /** Every id ≤ `start` counts as delivered (normally the watermark at start-up). */
  start: number;
  /** Rows per query (default 100) and queries per wake-up before yielding (default 10). */
  batch?: number;
  maxBatchesPerWake?: number;
  /** Called with poll errors (the feed retries on the next wake-up). */
  onError?(err: unknown): void;
  /**
   * Set when ids may become visible OUT of order (writers commit concurrently; the events table).
   * The feed then delivers only the gap-free run of ids after the last delivered one: a visible id
   * `last + 2` is held back while `last + 1` is invisible, since `last + 1` may still commit. A gap
   * that outlives `gapTimeoutMs` (a writer rolled back after taking its id, a crash, rows deleted
   * before they were read) is closed by `settle()`, which must return an id S such that every id ≤ S
   * is final: committed (and visible to any later query) or never going to exist.
   * Without it, ids are assumed to become visible in order (the revocations table).
   */
  settle?: () => Promise<number>;
  /** How long a gap may stay open before `settle()` is called (default 250 ms). */
  gapTimeoutMs?: number;
}

interface Waiter {
  id: number;
  /** Resolved by the first poll that starts after the waiter was registered and catches up. */
  afterGeneration: number;
  resolve(): void;
}

/**
 * Delivers rows of an append-only table on a local bus, in id order, exactly once per process:
 * `wake()` (on NOTIFY, a timer, a reconnect, or a local commit) reads everything with id > the last
 * delivered id. Lost wake-ups only add latency. Ids that never become visible (rolled back, deleted
 * before they were read) are skipped once they are known to be final.
 *
 * `last` is the watermark: every id ≤ `last` is final and, if it exists, has been delivered. Readers
 * that page by `id > cursor` and stop at `last` can never skip a row that commits later.
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
  /** Every id ≤ this is final (the latest `settle()` answer, or `start`). */
  private settled: number;
  /** The id the feed is blocked on, and since when (ms). */
  private gap: { id: number; since: number } | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  /** `settle()` calls so far (tests, metrics). */
  settles = 0;

  constructor(private readonly options: OrderedFeedOptions<T>) {
    this.last = options.start;
    this.settled = options.start;
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

  /**
   * Resolves after a poll that started after this call has finished (caught up, blocked on a gap, or
   * failed), so `last` then covers everything committed before the call that is not behind a gap.
   * Never rejects.
   */
  sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ id: Infinity, afterGeneration: this.generation + 1, resolve });
      this.wake();
    });
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        const gen = ++this.generation;
        try {
          let caughtUp = false;
          for (let i = 0; i < this.maxBatches && !this.closed; i++) {
            const rows = await this.options.fetch(this.last, this.batch);
            let blocked = this.deliver(rows);
            if (blocked === null && rows.length < this.batch) {
              // Every visible row was delivered and every id ≤ settled is final.
              this.last = Math.max(this.last, this.settled);
              // A committed id awaited here that no poll sees (deleted meanwhile) is a gap too.
              if (this.options.settle && this.waiters.some((w) => w.id !== Infinity && w.id > this.last)) blocked = this.last + 1;
            }
            this.settle(gen, false);
            if (blocked === null) {
              this.gap = null;
              if (rows.length < this.batch) {
                caughtUp = true;
                break;
              }
              continue;
            }
            // Blocked on an invisible id: wait for its commit (its NOTIFY wakes us), and settle the
            // gap when it stays open too long.
            const now = Date.now();
            if (this.gap?.id !== blocked) this.gap = { id: blocked, since: now };
            const waited = now - this.gap.since;
            const timeout = this.options.gapTimeoutMs ?? 250;
            if (waited >= timeout && this.options.settle) {
              this.settles++;
              this.settled = Math.max(this.settled, await this.options.settle());
              this.gap = null;
              continue; // fetch again: the snapshot of the next query includes every id ≤ settled
            }
            this.armGapTimer(timeout - waited);
            caughtUp = true;
            break;
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

  /** Publishes the deliverable prefix of `rows`; returns the invisible id it stopped at, or null. */
  private deliver(rows: { id: number; value: T }[]): number | null {
    for (const r of rows) {
      if (r.id <= this.last) continue;
      if (this.options.settle && r.id !== this.last + 1 && r.id > this.settled) {
        // Ids ≤ settled are final: the ones not seen do not exist.
        if (this.last < this.settled) this.last = this.settled;
        if (r.id !== this.last + 1) return this.last + 1;
      }
      this.last = r.id;
      this.options.bus.publish(r.value);
    }
    return null;
  }

  private armGapTimer(ms: number): void {
    if (this.gapTimer || this.closed) return;
    this.gapTimer = setTimeout(
      () => {
        this.gapTimer = null;
        this.wake();
      },
      Math.max(1, ms),
    );
    this.gapTimer.unref();
  }

  /** Resolves waiters whose row was delivered, or (when caught up) whose row no longer exists. */
  private settle(gen: number, caughtUp: boolean, failed = false): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.id <= this.last || failed) w.resolve();
      else if (caughtUp && w.afterGeneration <= gen) {
        if (w.id === Infinity) w.resolve();
        else if (!this.options.settle) {
          // Committed before this poll started, yet not read: deleted meanwhile. Ids become visible
          // in order here, so everything before it was visible to this poll and nothing is skipped.
          this.last = Math.max(this.last, w.id);
          w.resolve();
        } else keep.push(w); // behind a gap: resolved once the gap closes or is settled
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  close(): void {
    this.closed = true;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}
