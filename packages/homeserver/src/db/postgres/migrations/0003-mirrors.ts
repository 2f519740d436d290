import type { PgMigration } from '../migrate.ts';

/**
 * Mirrors: users this homeserver keeps a verified copy of, following their primary
 * homeserver's event stream (same columns as SQLite's 0003). Several processes share the table:
 * `owner` + `lease_until` (µs) say which one runs each follower.
 */
export const pgMigration0003: PgMigration = {
  id: 3,
  name: '0003-mirrors',
  async up(c) {
    await c.query(`
      CREATE TABLE mirrors (
        user_id integer PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        primary_key text NOT NULL,
        grant_jws text,
        grant_expires_at bigint,
        bearer text,
        bearer_expires_at bigint,
        cursor text NOT NULL DEFAULT '',
        applied_events bigint NOT NULL DEFAULT 0,
        pending_events integer NOT NULL DEFAULT 0,
        oldest_pending_at bigint,
        last_applied_at bigint,
        last_error text,
        state text NOT NULL DEFAULT 'catching_up',
        generation integer NOT NULL DEFAULT 1,
        owner text,
        lease_until bigint,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      )`);
  },
};
