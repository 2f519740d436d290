import type { Migration } from '../migrate.ts';

/**
 * Versioned trees: one row per change of a user's `/pub/` (scope 0) or `/priv/`
 * (scope 1) Merkle tree, written in the transaction of the entries it covers; and each user's
 * secret that keys the `/priv/` tree's leaves.
 */
export const migration0004: Migration = {
  id: 4,
  name: '0004-tree-versions',
  up(db) {
    db.exec(`
      CREATE TABLE tree_versions (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        scope INTEGER NOT NULL CHECK (scope IN (0, 1)),
        version INTEGER NOT NULL,
        root BLOB NOT NULL,
        prev_root BLOB,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, scope, version)
      ) WITHOUT ROWID;
      CREATE TABLE tree_secrets (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret BLOB NOT NULL
      );
    `);
  },
};
