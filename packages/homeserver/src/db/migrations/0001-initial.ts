import type { Migration } from '../migrate.ts';

/** Quota override columns shared by `users` and `signup_tokens` (spec §9, HEAD). */
const QUOTA_COLUMNS = `
  quota_storage_mb INTEGER,
  quota_rate_read TEXT,
  quota_rate_write TEXT,
  quota_rate_read_burst INTEGER,
  quota_rate_write_burst INTEGER,
  allowed_write_paths TEXT`;

/**
 * The embedded schema. Timestamps are µs integers unless the column says `_s` semantics in a comment
 * (grants keep unix seconds as in the reference). Paths compare with SQLite's BINARY collation, i.e.
 * byte order of their UTF-8, which is what listings need (spec §2.4).
 */
export const migration0001: Migration = {
  id: 1,
  name: '0001-initial',
  up(db) {
    db.exec(`
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        public_key TEXT NOT NULL UNIQUE,
        disabled INTEGER NOT NULL DEFAULT 0,
        used_bytes INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,${QUOTA_COLUMNS}
      );

      CREATE TABLE signup_tokens (
        token TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        used_by TEXT,
        used_at INTEGER,${QUOTA_COLUMNS}
      ) WITHOUT ROWID;

      CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        secret TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        capabilities TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_user ON sessions(user_id);

      -- Content-addressed blob files under <dataDir>/blobs, reference counted by entries.
      CREATE TABLE blob_files (
        hash BLOB PRIMARY KEY,
        size INTEGER NOT NULL,
        refcount INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- inline_data holds small contents; NULL means the bytes are in blob_files(content_hash).
      CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        content_hash BLOB NOT NULL,
        content_length INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        inline_data BLOB,
        modified_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX entries_user_path ON entries(user_id, path);

      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        content_hash BLOB,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX events_user_id ON events(user_id, id);
      CREATE INDEX events_created_at ON events(created_at);

      -- Grant-based auth (spec §3.6); issued_at/expires_at/revoked_at are unix seconds.
      CREATE TABLE grants (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id TEXT NOT NULL,
        client_cnf_key TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX grants_user ON grants(user_id);

      CREATE TABLE grant_sessions (
        id INTEGER PRIMARY KEY,
        token_hash BLOB NOT NULL UNIQUE,
        grant_id TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX grant_sessions_grant ON grant_sessions(grant_id);

      -- created_at in unix seconds.
      CREATE TABLE pop_nonces (
        nonce TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX pop_nonces_created ON pop_nonces(created_at);

      -- AuthToken replay guard: id = token bytes 75..115; expires_at in µs.
      CREATE TABLE auth_token_ids (
        id BLOB PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX auth_token_ids_expiry ON auth_token_ids(expires_at);
    `);
  },
};
