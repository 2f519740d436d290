import type { Database } from 'better-sqlite3';

/**
 * One unit of work run inside the shared transaction. Throwing rolls back only this unit. A job may
 * run more than once (see GroupCommitter): it must not touch anything outside the database.
 */
export type CommitJob<T> = (db: Database) => T;

const RETRY = Symbol('retry with savepoints');

interface Pending<T> {
  job: CommitJob<T>;
  afterCommit: ((result: T) => void) | undefined;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

export interface BatchHooks {
  beforeCommit?: () => void;
  afterRollback?: () => void;
}

export interface GroupCommitterOptions {
  /** Flush as soon as this many jobs are waiting (default 128). */
  maxBatch?: number;
  /** 'group' (default) batches jobs queued in the same turn of the event loop; 'single' commits each
   *  job in its own transaction (the baseline the benchmark compares against). */
  mode?: 'group' | 'single';
  /** Called after each successful COMMIT with the number of commits so far (must not throw). */
  onCommit?: (commits: number) => void;
}

/**
 * Group commit for SQLite: write finalisations submitted by concurrent requests are queued and run in
 * one `BEGIN IMMEDIATE … COMMIT`, which costs one WAL append (and one fsync with synchronous=FULL)
 * instead of one per write. A batch first runs without savepoints (each costs two statements);
 * only when one of its jobs throws is it rolled back and run again with a SAVEPOINT per job, so a
 * job that throws is rolled back alone and only its caller sees the error. Promises settle after COMMIT returns, so an
 * acknowledged write is durable to the configured level. `afterCommit` hooks (event publication,
 * blob unlinking) run synchronously right after the commit, in submission order, before any other
 * write can commit.
 */
export class GroupCommitter {
  private readonly db: Database;
  private readonly maxBatch: number;
  private readonly mode: 'group' | 'single';
  private readonly onCommit: ((commits: number) => void) | undefined;
  private readonly sql: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit' | 'rollback', { run(): unknown }>;
  private queue: Pending<any>[] = [];
  private readonly hooks: BatchHooks[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;
  /** Number of transactions committed (for tests and metrics). */
  commits = 0;

  constructor(db: Database, options: GroupCommitterOptions = {}) {
    this.db = db;
    this.maxBatch = Math.max(1, options.maxBatch ?? 128);
    this.mode = options.mode ?? 'group';
    this.onCommit = options.onCommit;
    // Prepared once: db.exec() re-parses its SQL on every call.
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      savepoint: db.prepare('SAVEPOINT job'),
      release: db.prepare('RELEASE job'),
      rollbackTo: db.prepare('ROLLBACK TO job'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
  }

  /**
   * Batch hooks: `beforeCommit` runs inside the transaction after the last job, right before
   * COMMIT (a throw fails the batch like a failed COMMIT); `afterRollback` runs whenever a batch's
   * transaction is rolled back. Jobs use them to defer per-batch work (e.g. one usage UPDATE per
   * user instead of one per job): a job must record deferred work as its very last step, after
   * every statement that could throw, so a job rolled back to its savepoint has recorded nothing.
   */
  addBatchHooks(hooks: BatchHooks): void {
    this.hooks.push(hooks);
  }

  private beforeCommit(): void {
    for (const h of this.hooks) h.beforeCommit?.();
  }

  private afterRollback(): void {
    for (const h of this.hooks) {
      try {
        h.afterRollback?.();
      } catch {
        // must not throw; nothing else to undo
      }
    }
  }

  submit<T>(job: CommitJob<T>, afterCommit?: (result: T) => void): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, afterCommit, resolve, reject });
      if (this.mode === 'single' || this.queue.length >= this.maxBatch) {
        this.flush();
      } else if (!this.scheduled) {
        this.scheduled = setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (synchronously). */
  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
  }

  /** Flushes pending work and refuses new jobs. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private runBatch(batch: Pending<any>[]): void {
    // Optimistic pass: the whole batch in one transaction without per-job savepoints (each costs
    // two statements). If any job throws, that transaction is rolled back and the batch runs again
    // with a savepoint per job, so only the failing jobs fail.
    if (batch.length > 1) {
      const values = this.tryWithoutSavepoints(batch);
      if (values === RETRY) {
        this.runWithSavepoints(batch);
      } else if (values) {
        this.settle(
          batch,
          values.map((value) => ({ ok: true as const, value })),
        );
      }
      return;
    }
    this.runWithSavepoints(batch);
  }

  /**
   * The batch's values once committed; RETRY when a job threw (everything was rolled back); null
   * when BEGIN or COMMIT failed (every job has been rejected, as without the optimistic pass).
   */
  private tryWithoutSavepoints(batch: Pending<any>[]): unknown[] | typeof RETRY | null {
    const db = this.db;
    try {
      this.sql.begin.run();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return null;
    }
    const values: unknown[] = [];
    try {
      for (const p of batch) values.push(p.job(db));
      this.beforeCommit();
    } catch {
      this.rollback();
      return RETRY;
    }
    try {
      this.sql.commit.run();
    } catch (error) {
      this.rollback();
      for (const p of batch) p.reject(error);
      return null;
    }
    return values;
  }

  private runWithSavepoints(batch: Pending<any>[]): void {
    const db = this.db;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.sql.begin.run();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) {
      this.sql.savepoint.run();
      try {
        const value = p.job(db);
        this.sql.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        try {
          this.sql.rollbackTo.run();
          this.sql.release.run();
        } catch {
          // The transaction itself is gone (e.g. SQLITE_FULL aborts it); COMMIT below reports it.
        }
        outcomes.push({ ok: false, error });
      }
    }
    try {
      this.beforeCommit();
      this.sql.commit.run();
    } catch (error) {
      this.rollback();
      for (const p of batch) p.reject(error);
      return;
    }
    this.settle(batch, outcomes);
  }

  private rollback(): void {
    try {
      if (this.db.inTransaction) this.sql.rollback.run();
    } catch {
      // nothing more to undo
    }
    this.afterRollback();
  }

  /** After a COMMIT: counts it, runs the post-commit hooks in order and settles the promises. */
  private settle(batch: Pending<any>[], outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[]): void {
    this.commits++;
    if (this.onCommit) {
      try {
        this.onCommit(this.commits);
      } catch {
        // observers must not affect the outcome of a committed batch
      }
    }
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i];
      const p = batch[i];
      if (o.ok) {
        if (p.afterCommit) {
          try {
            p.afterCommit(o.value);
          } catch {
            // Post-commit hooks are best effort; the write itself is committed.
          }
        }
        p.resolve(o.value);
      } else {
        p.reject(o.error);
      }
    }
  }
}
