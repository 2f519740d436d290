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
    // The two write transactions as functions: one round trip each (called as a single autocommit
    // statement), so the events advisory lock is held only for the COMMIT itself. Errors a caller
    // can cause are raised as P0001 with the message 'pubky:<code>'. In a VOLATILE PL/pgSQL function
    // each statement takes a fresh READ COMMITTED snapshot, so everything read after the user row
    // lock includes what the previous lock holder committed.
    await c.query(`
      CREATE FUNCTION hs_put(
        p_user_id integer, p_path text, p_hash bytea, p_length bigint, p_type text, p_inline bytea,
        p_blob_id bigint, p_now bigint, p_admin boolean, p_default_quota_mb bigint, p_lock_key bigint,
        p_dir_lo text, p_dir_hi text, p_ancestors text[]
      ) RETURNS TABLE (event_id bigint, entry_created_at bigint, released bytea)
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_used bigint; v_mb bigint; v_has_prev boolean;
        v_prev_hash bytea; v_prev_len bigint; v_prev_blob boolean;
        v_delta bigint; v_rc integer; v_released bytea := NULL; v_created bigint; v_event bigint;
      BEGIN
        PERFORM 1 FROM users WHERE id = p_user_id FOR NO KEY UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'pubky:user_not_found'; END IF;
        SELECT used_bytes, quota_storage_mb INTO v_used, v_mb FROM users WHERE id = p_user_id;
        SELECT content_hash, content_length, inline_data IS NULL INTO v_prev_hash, v_prev_len, v_prev_blob
          FROM entries WHERE user_id = p_user_id AND path = p_path;
        v_has_prev := FOUND;
        IF NOT p_admin AND (
             EXISTS (SELECT 1 FROM entries WHERE user_id = p_user_id AND path >= p_dir_lo AND path < p_dir_hi)
          OR EXISTS (SELECT 1 FROM entries WHERE user_id = p_user_id AND path = ANY (p_ancestors))) THEN
          RAISE EXCEPTION 'pubky:path_collision';
        END IF;
        v_delta := CASE WHEN v_has_prev THEN p_length - v_prev_len ELSE p_length + 256 END;
        v_mb := COALESCE(v_mb, p_default_quota_mb);
        IF v_mb IS NOT NULL AND v_mb >= 0 AND v_delta > 0 AND v_used + v_delta > v_mb * 1048576 THEN
          RAISE EXCEPTION 'pubky:quota_exceeded';
        END IF;
        IF NOT (v_has_prev AND v_prev_blob) THEN v_prev_hash := NULL; END IF;
        IF p_blob_id IS NOT NULL AND v_prev_hash IS NOT NULL AND v_prev_hash = p_hash THEN
          UPDATE blobs SET pins = GREATEST(pins - 1, 0) WHERE id = p_blob_id;
        ELSE
          -- Blob rows are locked in hash order so two writers swapping contents cannot deadlock.
          IF v_prev_hash IS NOT NULL AND (p_blob_id IS NULL OR v_prev_hash < p_hash) THEN
            UPDATE blobs SET refcount = refcount - 1 WHERE hash = v_prev_hash RETURNING refcount INTO v_rc;
            IF v_rc <= 0 THEN v_released := v_prev_hash; END IF;
            v_prev_hash := NULL;
          END IF;
          IF p_blob_id IS NOT NULL THEN
            UPDATE blobs SET refcount = refcount + 1, pins = GREATEST(pins - 1, 0) WHERE id = p_blob_id;
            IF NOT FOUND THEN RAISE EXCEPTION 'pubky:blob_missing'; END IF;
          END IF;
          IF v_prev_hash IS NOT NULL THEN
            UPDATE blobs SET refcount = refcount - 1 WHERE hash = v_prev_hash RETURNING refcount INTO v_rc;
            IF v_rc <= 0 THEN v_released := v_prev_hash; END IF;
          END IF;
        END IF;
        INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at)
          VALUES (p_user_id, p_path, p_hash, p_length, p_type, p_inline, p_now, p_now)
          ON CONFLICT (user_id, path) DO UPDATE SET content_hash = EXCLUDED.content_hash,
            content_length = EXCLUDED.content_length, content_type = EXCLUDED.content_type,
            inline_data = EXCLUDED.inline_data, modified_at = EXCLUDED.modified_at
          RETURNING entries.created_at INTO v_created;
        IF v_delta <> 0 THEN UPDATE users SET used_bytes = used_bytes + v_delta WHERE id = p_user_id; END IF;
        -- Last: the events lock is held from here to COMMIT, so ids become visible in order.
        PERFORM pg_advisory_xact_lock(p_lock_key);
        INSERT INTO events (type, user_id, path, content_hash, created_at)
          VALUES ('PUT', p_user_id, p_path, p_hash, p_now) RETURNING id INTO v_event;
        PERFORM pg_notify('events', '');
        RETURN QUERY SELECT v_event, v_created, v_released;
      END $fn$;

      CREATE FUNCTION hs_delete(p_public_key text, p_path text, p_now bigint, p_lock_key bigint)
      RETURNS TABLE (event_id bigint, released bytea)
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_uid integer; v_hash bytea; v_len bigint; v_blob boolean; v_rc integer;
        v_released bytea := NULL; v_event bigint;
      BEGIN
        SELECT id INTO v_uid FROM users WHERE public_key = p_public_key FOR NO KEY UPDATE;
        IF NOT FOUND THEN RAISE EXCEPTION 'pubky:user_not_found'; END IF;
        DELETE FROM entries WHERE user_id = v_uid AND path = p_path
          RETURNING content_hash, content_length, inline_data IS NULL INTO v_hash, v_len, v_blob;
        IF NOT FOUND THEN RAISE EXCEPTION 'pubky:not_found'; END IF;
        IF v_blob THEN
          UPDATE blobs SET refcount = refcount - 1 WHERE hash = v_hash RETURNING refcount INTO v_rc;
          IF v_rc <= 0 THEN v_released := v_hash; END IF;
        END IF;
        UPDATE users SET used_bytes = used_bytes - (v_len + 256) WHERE id = v_uid;
        PERFORM pg_advisory_xact_lock(p_lock_key);
        INSERT INTO events (type, user_id, path, content_hash, created_at)
          VALUES ('DEL', v_uid, p_path, NULL, p_now) RETURNING id INTO v_event;
        PERFORM pg_notify('events', '');
        RETURN QUERY SELECT v_event, v_released;
      END $fn$;
    `);
  },
};
