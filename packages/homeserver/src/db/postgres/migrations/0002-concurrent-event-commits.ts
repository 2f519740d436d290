import type { PgMigration } from '../migrate.ts';

/**
 * Event inserts no longer serialise the commits of every writer. In 0001, `hs_put` / `hs_delete` took
 * the events advisory lock EXCLUSIVE before inserting their event and held it through COMMIT (its
 * WAL fsync), so ids became visible in order but only one write could commit at a time across all
 * processes (no group commit: ~one fsync per write, whatever the concurrency).
 *
 * From here on they take it SHARED (still as the last step, before `nextval`, held to COMMIT): writers
 * commit concurrently and PostgreSQL flushes their commit records together. Ids may then become
 * visible out of order; readers stop at a watermark instead (see `storage/postgres/README.md`): the
 * gap-free run of visible ids, and, for a gap that does not close, a barrier that takes the same lock
 * EXCLUSIVE (waiting for every writer holding an id) and reads the sequence.
 *
 * The two function bodies are otherwise unchanged: this rewrites exactly one call in each.
 */
export const pgMigration0002: PgMigration = {
  id: 2,
  name: '0002-concurrent-event-commits',
  async up(c) {
    for (const fn of ['hs_put', 'hs_delete']) {
      const { rows } = await c.query<{ def: string }>('SELECT pg_get_functiondef($1::regproc) AS def', [fn]);
      const def = rows[0].def;
      const from = 'pg_advisory_xact_lock(p_lock_key)';
      if (def.split(from).length !== 2) throw new Error(`migration 0002: ${fn} does not have exactly one ${from}`);
      await c.query(def.replace(from, 'pg_advisory_xact_lock_shared(p_lock_key)'));
    }
  },
};
