import type { PgMigration } from '../migrate.ts';

/** Quota override columns shared by `users` and `signup_codes` (spec §9, HEAD). */
const QUOTA_COLUMNS = `
  quota_storage_mb bigint,
  quota_rate_read text,
  quota_rate_write text,
  quota_rate_read_burst bigint,
  quota_rate_write_burst bigint,
  allowed_write_paths text`;

/**
 * The scale-out schema: the reference's tables (spec §9) where they fit, with these differences:
 * times are bigint µs (grants keep unix seconds, as in the reference), `user_id` instead of `"user"`,
 * paths and ordered keys are `COLLATE "C"` (byte order, spec §2.4), entries may hold small contents
 * inline, and the tables the reference keeps elsewhere or in memory are here too: content-addressed
 * blobs (`blobs` + `blob_chunks`), the AuthToken replay guard, PKARR packet custody and an ordered
 * revocation log (so a lost NOTIFY never loses a revocation).
 */
export const pgMigration0001: PgMigration = {
  id: 1,
  name: '0001-initial',
  async up(c) {
    await c.query(`
      CREATE TABLE users (
        id serial PRIMARY KEY,
        public_key varchar(52) COLLATE "C" NOT NULL UNIQUE,
        disabled boolean NOT NULL DEFAULT false,
        used_bytes bigint NOT NULL DEFAULT 0,
        created_at bigint NOT NULL,${QUOTA_COLUMNS}
      );

      CREATE TABLE signup_codes (
        id varchar(14) COLLATE "C" PRIMARY KEY,
        created_at bigint NOT NULL,
        used_by varchar(52),
        used_at bigint,${QUOTA_COLUMNS}
      );

      CREATE TABLE sessions (
        id serial PRIMARY KEY,
        secret varchar(26) NOT NULL UNIQUE,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        capabilities text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX sessions_user ON sessions(user_id);

      -- Content-addressed blobs, reference counted by entries. hash IS NULL while an upload streams
      -- its chunks in; pins protect a blob between its upload (or a long read) and the commit (or the
      -- end of the read); a blob with refcount 0 and no live pin is garbage.
      CREATE TABLE blobs (
        id bigserial PRIMARY KEY,
        hash bytea UNIQUE,
        size bigint NOT NULL DEFAULT 0,
        refcount integer NOT NULL DEFAULT 0,
        pins integer NOT NULL DEFAULT 0,
        pinned_at bigint,
        created_at bigint NOT NULL
      );
      CREATE INDEX blobs_pending ON blobs(created_at) WHERE hash IS NULL;
      CREATE INDEX blobs_garbage ON blobs(id) WHERE refcount <= 0;

      CREATE TABLE blob_chunks (
        blob_id bigint NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (blob_id, seq)
      );
      -- Contents are often compressed already: store out of line without trying pglz.
      ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

      -- inline_data holds small contents; NULL means the bytes are in blobs(content_hash).
      CREATE TABLE entries (
        id bigserial PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        path text COLLATE "C" NOT NULL,
        content_hash bytea NOT NULL,
        content_length bigint NOT NULL,
        content_type text NOT NULL,
        inline_data bytea,
        modified_at bigint NOT NULL,
        created_at bigint NOT NULL,
        UNIQUE (user_id, path)
      );

      -- Inserted under pg_advisory_xact_lock so ids become visible in order (spec §4.1).
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        type varchar(3) NOT NULL,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        path text COLLATE "C" NOT NULL,
        content_hash bytea,
        created_at bigint NOT NULL
      );
      CREATE INDEX events_user_id ON events(user_id, id);
      CREATE INDEX events_created_at ON events(created_at);

      -- Grant-based auth (spec §3.6); issued_at/expires_at/revoked_at are unix seconds.
      CREATE TABLE grants (
        id text COLLATE "C" PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id text NOT NULL,
        client_cnf_key text NOT NULL,
        capabilities text NOT NULL,
        issued_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        revoked_at bigint,
        created_at bigint NOT NULL
      );
      CREATE INDEX grants_user ON grants(user_id);

      CREATE TABLE grant_sessions (
        id serial PRIMARY KEY,
        token_hash bytea NOT NULL UNIQUE,
        grant_id text COLLATE "C" NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
        expires_at bigint NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX grant_sessions_grant ON grant_sessions(grant_id);

      -- created_at in unix seconds.
      CREATE TABLE pop_nonces (
        nonce text PRIMARY KEY,
        created_at bigint NOT NULL
      );
      CREATE INDEX pop_nonces_created ON pop_nonces(created_at);

      -- AuthToken replay guard: id = token bytes 75..115; expires_at in µs.
      CREATE TABLE auth_token_ids (
        id bytea PRIMARY KEY,
        expires_at bigint NOT NULL
      );
      CREATE INDEX auth_token_ids_expiry ON auth_token_ids(expires_at);

      CREATE TABLE user_packets (
        user_id integer PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        packet bytea NOT NULL,
        "timestamp" bigint NOT NULL,
        last_published_at bigint,
        last_stored_at bigint,
        last_checked_at bigint,
        visible_dht boolean,
        visible_relays integer,
        last_error text
      );

      -- Session/grant revocations in commit order (inserted under their own advisory lock), read by
      -- every instance after an auth_revocations NOTIFY; rows older than an hour are purged.
      CREATE TABLE revocations (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        ref text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX revocations_created ON revocations(created_at);
    `);
  },
};
