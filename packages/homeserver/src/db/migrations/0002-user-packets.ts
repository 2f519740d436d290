import type { Migration } from '../migrate.ts';

/**
 * Custody of users' signed PKARR packets: the newest packet seen for each user, kept so a long outage
 * of the DHT or of this server cannot lose a record, and the outcome of the last republish.
 */
export const migration0002: Migration = {
  id: 2,
  name: '0002-user-packets',
  up(db) {
    db.exec(`
      CREATE TABLE user_packets (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        packet BLOB NOT NULL,
        timestamp INTEGER NOT NULL,
        last_published_at INTEGER,
        last_stored_at INTEGER,
        last_checked_at INTEGER,
        visible_dht INTEGER,
        visible_relays INTEGER,
        last_error TEXT
      );
    `);
  },
};
