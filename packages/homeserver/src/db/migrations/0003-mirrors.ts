import type { Migration } from '../migrate.ts';

/**
 * Mirrors: users this homeserver keeps a verified copy of, following their primary
 * homeserver's event stream. One row per mirrored user: the primary, the grant (private mirroring),
 * the current bearer, the primary's cursor and the counters shown by `GET /mirror`. `owner` and
 * `lease_until` let one of several processes sharing a database run each follower.
 */
export const migration0003: Migration = {
  id: 3,
  name: '0003-mirrors',
  up(db) {
    db.exec(`
      CREATE TABLE mirrors (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        primary_key TEXT NOT NULL,
        grant_jws TEXT,
        grant_expires_at INTEGER,
        bearer TEXT,
        bearer_expires_at INTEGER,
        cursor TEXT NOT NULL DEFAULT '',
        applied_events INTEGER NOT NULL DEFAULT 0,
        pending_events INTEGER NOT NULL DEFAULT 0,
        oldest_pending_at INTEGER,
        last_applied_at INTEGER,
        last_error TEXT,
        state TEXT NOT NULL DEFAULT 'catching_up',
        generation INTEGER NOT NULL DEFAULT 1,
        owner TEXT,
        lease_until INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  },
};
