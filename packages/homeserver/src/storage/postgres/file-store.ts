import { blake3, createBlake3, nowMicros, type Blake3Hasher } from '@pubky-ts/common';
import type { PoolClient } from 'pg';
import { detectContentType } from '../content-type.ts';
import { StorageError, storageErrors } from '../errors.ts';
import { exceedsQuota, FILE_OVERHEAD_BYTES, storageLimitBytes, writeDelta } from '../quota.ts';
import { prefixEnd } from '../sqlite/event-store.ts';
import { ancestorFiles, etagOf } from '../sqlite/file-store.ts';
import type { FileContent, FileEntry, FileStore, ListOptions, WriteOptions } from '../types.ts';
import { unpinBlob, type BlobWriter } from './blobs.ts';
import { EVENTS_CHANNEL, type PgContext } from './context.ts';

interface EntryRow {
  path: string;
  content_hash: Buffer;
  content_length: number;
  content_type: string;
  modified_at: number;
  created_at: number;
  inline_data?: Buffer | null;
}

/** A fully received body, not yet committed. */
interface StagedBody {
  hash: Uint8Array;
  length: number;
  contentType: string;
  /** Small bodies; otherwise the bytes are in blob `blobId` (pinned). */
  inline: Buffer | null;
  blobId: number | null;
}

function entryFromRow(user: string, r: EntryRow): FileEntry {
  const hash = new Uint8Array(r.content_hash);
  return {
    user,
    path: r.path,
    contentHash: hash,
    contentLength: r.content_length,
    contentType: r.content_type,
    modifiedAt: r.modified_at,
    createdAt: r.created_at,
    etag: etagOf(hash),
  };
}

async function* once(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b;
}

const META = 'path, content_hash, content_length, content_type, modified_at, created_at';
const BY_KEY = 'user_id = (SELECT id FROM users WHERE public_key = $1) AND path = $2';

/** `collides` for user `u.id`: $3 = `<path>/`, $4 = prefixEnd of it, $5 = ancestor paths (spec §2.3). */
const COLLIDES = `(EXISTS (SELECT 1 FROM entries x WHERE x.user_id = u.id AND x.path >= $3 AND x.path < $4)
  OR EXISTS (SELECT 1 FROM entries x WHERE x.user_id = u.id AND x.path = ANY($5::text[])))`;

/** Immediate child of `$2` (the directory) for a path under it: the file itself or `<dir><segment>/`. */
const CHILD = (p: string) =>
  `(CASE WHEN strpos(substr(${p}, char_length($2) + 1), '/') > 0
     THEN substr(${p}, 1, char_length($2) + strpos(substr(${p}, char_length($2) + 1), '/')) ELSE ${p} END) COLLATE "C"`;

/**
 * Locks the user row for the rest of the transaction: every write of one user, in any process, is
 * serialised here (quota, collisions, the previous entry). Throws 404 if the user was deleted.
 */
async function lockUser(c: PoolClient, userId: number): Promise<void> {
  const r = await c.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
  if (r.rows.length === 0) throw storageErrors.userNotFound();
}

/** Byte-order comparison, as PostgreSQL's COLLATE "C" (JS `<` compares UTF-16 units). */
function byteLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
}

/**
 * The bookkeeping + blob layer on PostgreSQL: streams the body (BLAKE3, type sniffing; small bodies in
 * memory, larger ones chunk by chunk into the blob backend), then commits entry + blob reference +
 * usage + PUT/DEL event in ONE transaction with the user row locked (FOR NO KEY UPDATE), so writers of
 * one user in any process are serialised for the final quota and collision checks. The event insert
 * takes the events advisory lock (ids visible in order) and NOTIFYs `events` at commit.
 */
export class PgFileStore implements FileStore {
  constructor(private readonly ctx: PgContext) {}

  async put(user: string, path: string, body: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<FileEntry> {
    if (path.endsWith('/') || !path.startsWith('/')) throw storageErrors.notAFile();
    const collideParams = [`${path}/`, `${path}0`, ancestorFiles(path)];
    const { rows } = await this.ctx.db.query<{ id: number; used_bytes: number; quota_storage_mb: number | null; prev_length: number | null; collides: boolean }>(
      `SELECT u.id, u.used_bytes, u.quota_storage_mb, p.content_length AS prev_length, ${COLLIDES} AS collides
       FROM users u LEFT JOIN entries p ON p.user_id = u.id AND p.path = $2 WHERE u.public_key = $1`,
      [user, path, ...collideParams],
      { retry: true },
    );
    const u = rows[0];
    if (!u) throw storageErrors.userNotFound();
    if (!options.admin && u.collides) throw storageErrors.pathCollision();
    // Bytes this write may still add (as of now; re-checked at commit under the user row lock).
    const limit = storageLimitBytes({ storageQuotaMb: u.quota_storage_mb }, this.ctx.defaultQuotaMb);
    const maxLength = limit === null ? Infinity : limit - u.used_bytes + (u.prev_length ?? -FILE_OVERHEAD_BYTES);

    const staged = await this.stage(path, body, maxLength, options.signal);
    let committed = false;
    try {
      const r = await this.ctx.db.tx((c) => this.finalizePut(c, u.id, user, path, staged, collideParams, options));
      committed = true;
      await this.ctx.blobs.collect(r.released);
      await this.ctx.eventFeed.waitFor(r.eventId);
      return r.entry;
    } finally {
      if (!committed && staged.blobId !== null) {
        await unpinBlob(this.ctx.db, staged.blobId);
        await this.ctx.blobs.collect([Buffer.from(staged.hash)]);
      }
    }
  }

  private async stage(path: string, body: AsyncIterable<Uint8Array>, maxLength: number, signal?: AbortSignal): Promise<StagedBody> {
    const threshold = this.ctx.inlineThreshold;
    let contentType: string | null = null;
    let length = 0;
    let buffered: Uint8Array[] = [];
    // Small bodies are hashed in one shot at the end; only a spilled body streams through a hasher.
    let hasher: Blake3Hasher | null = null;
    let writer: BlobWriter | null = null;
    try {
      for await (const raw of body) {
        signal?.throwIfAborted();
        const chunk = raw instanceof Uint8Array ? raw : new Uint8Array(raw as ArrayBuffer);
        if (chunk.length === 0) continue;
        if (contentType === null) contentType = detectContentType(path, chunk);
        length += chunk.length;
        if (length > maxLength) throw storageErrors.quotaExceeded();
        if (writer && hasher) {
          hasher.update(chunk);
          await writer.write(chunk);
        } else if (length <= threshold) {
          buffered.push(Uint8Array.prototype.slice.call(chunk));
        } else {
          hasher = await createBlake3();
          writer = await this.ctx.blobs.begin();
          for (const b of buffered) {
            hasher.update(b);
            await writer.write(b);
          }
          buffered = [];
          hasher.update(chunk);
          await writer.write(chunk);
        }
      }
      signal?.throwIfAborted();
      const type = contentType ?? detectContentType(path, new Uint8Array(0));
      if (writer && hasher) {
        const hash = hasher.digest();
        const blobId = await writer.finish(hash, length);
        writer = null;
        return { hash, length, contentType: type, inline: null, blobId };
      }
      const inline = Buffer.concat(buffered);
      return { hash: await blake3(inline), length, contentType: type, inline, blobId: null };
    } catch (err) {
      await writer?.discard();
      throw err;
    }
  }

  private async finalizePut(
    c: PoolClient, userId: number, user: string, path: string, s: StagedBody, collideParams: unknown[], options: WriteOptions,
  ) {
    await lockUser(c, userId);
    // A separate statement: under READ COMMITTED it takes a snapshot after the lock was granted, so it
    // sees every write the previous holder committed (a join in the locking statement would not).
    const { rows } = await c.query<{ used_bytes: number; quota_storage_mb: number | null; prev_hash: Buffer | null; prev_length: number | null; prev_is_blob: boolean; collides: boolean }>(
      `SELECT u.used_bytes, u.quota_storage_mb, p.content_hash AS prev_hash, p.content_length AS prev_length,
         p.inline_data IS NULL AS prev_is_blob, ${COLLIDES} AS collides
       FROM users u LEFT JOIN entries p ON p.user_id = u.id AND p.path = $2 WHERE u.id = $1`,
      [userId, path, ...collideParams],
    );
    const u = rows[0];
    if (!u) throw storageErrors.userNotFound();
    if (!options.admin && u.collides) throw storageErrors.pathCollision();
    const delta = writeDelta(s.length, u.prev_length);
    if (exceedsQuota(u.used_bytes, delta, storageLimitBytes({ storageQuotaMb: u.quota_storage_mb }, this.ctx.defaultQuotaMb))) {
      throw storageErrors.quotaExceeded();
    }
    const hashBuf = Buffer.from(s.hash);
    const released: Buffer[] = [];
    const prevBlob = u.prev_length !== null && u.prev_is_blob && u.prev_hash ? u.prev_hash : null;
    // Blob rows are locked in hash order so two writers swapping contents cannot deadlock.
    const ops: { hash: Buffer; run: () => Promise<void> }[] = [];
    if (s.blobId !== null && prevBlob && prevBlob.equals(hashBuf)) {
      ops.push({ hash: hashBuf, run: async () => void (await c.query('UPDATE blobs SET pins = GREATEST(pins - 1, 0) WHERE id = $1', [s.blobId])) });
    } else {
      if (s.blobId !== null) {
        ops.push({
          hash: hashBuf,
          run: async () => {
            const r = await c.query('UPDATE blobs SET refcount = refcount + 1, pins = GREATEST(pins - 1, 0) WHERE id = $1', [s.blobId]);
            if (r.rowCount !== 1) throw new StorageError(404, 'blob_missing', 'Not Found');
          },
        });
      }
      if (prevBlob) {
        ops.push({
          hash: prevBlob,
          run: async () => {
            const r = await c.query<{ refcount: number }>('UPDATE blobs SET refcount = refcount - 1 WHERE hash = $1 RETURNING refcount', [prevBlob]);
            if (r.rows.length > 0 && r.rows[0].refcount <= 0) released.push(prevBlob);
          },
        });
      }
    }
    ops.sort((a, b) => Buffer.compare(a.hash, b.hash));
    for (const op of ops) await op.run();
    const now = nowMicros();
    const up = await c.query<{ created_at: number }>(
      `INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
       ON CONFLICT (user_id, path) DO UPDATE SET content_hash = EXCLUDED.content_hash, content_length = EXCLUDED.content_length,
         content_type = EXCLUDED.content_type, inline_data = EXCLUDED.inline_data, modified_at = EXCLUDED.modified_at
       RETURNING created_at`,
      [userId, path, hashBuf, s.length, s.contentType, s.inline, now],
    );
    if (delta !== 0) await c.query('UPDATE users SET used_bytes = used_bytes + $1 WHERE id = $2', [delta, userId]);
    const eventId = await this.insertEvent(c, 'PUT', userId, path, hashBuf, now);
    const entry: FileEntry = {
      user, path, contentHash: s.hash, contentLength: s.length, contentType: s.contentType,
      modifiedAt: now, createdAt: up.rows[0].created_at, etag: etagOf(s.hash),
    };
    return { entry, eventId, released };
  }

  /**
   * Appends an event as the transaction's last statement: the events advisory lock (held to COMMIT)
   * makes ids visible in order; NOTIFY is delivered at COMMIT.
   */
  private async insertEvent(c: PoolClient, type: 'PUT' | 'DEL', userId: number, path: string, hash: Buffer | null, now: number): Promise<number> {
    const { rows } = await c.query<{ id: number }>(
      `WITH l AS (SELECT pg_advisory_xact_lock($1::bigint)), n AS (SELECT pg_notify('${EVENTS_CHANNEL}', '') FROM l)
       INSERT INTO events (type, user_id, path, content_hash, created_at) SELECT $2, $3, $4, $5, $6 FROM l, n RETURNING id`,
      [this.ctx.eventLockKey, type, userId, path, hash, now],
    );
    return rows[0].id;
  }

  async get(user: string, path: string): Promise<FileContent | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.ctx.db.query<EntryRow>(`SELECT ${META}, inline_data FROM entries WHERE ${BY_KEY}`, [user, path], { retry: true });
      const r = rows[0];
      if (!r) return null;
      const entry = entryFromRow(user, r);
      if (r.inline_data) {
        const inline = new Uint8Array(r.inline_data.buffer, r.inline_data.byteOffset, r.inline_data.byteLength);
        return { entry, body: once(inline), inline };
      }
      if (r.content_length === 0) {
        const empty = new Uint8Array(0);
        return { entry, body: once(empty), inline: empty };
      }
      const body = await this.ctx.blobs.open(r.content_hash, r.content_length);
      // Gone: a concurrent overwrite/delete collected it between the lookup and the open; look again.
      if (body) return { entry, body, inline: null };
    }
    throw new StorageError(404, 'blob_missing', 'Not Found');
  }

  async head(user: string, path: string): Promise<FileEntry | null> {
    const { rows } = await this.ctx.db.query<EntryRow>(`SELECT ${META} FROM entries WHERE ${BY_KEY}`, [user, path], { retry: true });
    return rows[0] ? entryFromRow(user, rows[0]) : null;
  }

  async delete(user: string, path: string): Promise<void> {
    const r = await this.ctx.db.tx(async (c) => {
      const locked = await c.query<{ id: number }>('SELECT id FROM users WHERE public_key = $1 FOR NO KEY UPDATE', [user]);
      if (locked.rows.length === 0) throw storageErrors.userNotFound();
      const { rows } = await c.query<{ id: number; entry_id: number | null; content_hash: Buffer; content_length: number; is_blob: boolean }>(
        `SELECT u.id, p.id AS entry_id, p.content_hash, p.content_length, p.inline_data IS NULL AS is_blob
         FROM users u LEFT JOIN entries p ON p.user_id = u.id AND p.path = $2 WHERE u.id = $1`,
        [locked.rows[0].id, path],
      );
      const u = rows[0];
      if (!u) throw storageErrors.userNotFound();
      if (u.entry_id === null) throw storageErrors.notFound();
      await c.query('DELETE FROM entries WHERE id = $1', [u.entry_id]);
      const released: Buffer[] = [];
      if (u.is_blob) {
        const b = await c.query<{ refcount: number }>('UPDATE blobs SET refcount = refcount - 1 WHERE hash = $1 RETURNING refcount', [u.content_hash]);
        if (b.rows.length > 0 && b.rows[0].refcount <= 0) released.push(u.content_hash);
      }
      await c.query('UPDATE users SET used_bytes = used_bytes - $1 WHERE id = $2', [u.content_length + FILE_OVERHEAD_BYTES, u.id]);
      const eventId = await this.insertEvent(c, 'DEL', u.id, path, null, nowMicros());
      return { eventId, released };
    });
    await this.ctx.blobs.collect(r.released);
    await this.ctx.eventFeed.waitFor(r.eventId);
  }

  async list(user: string, dir: string, options: ListOptions = {}): Promise<string[] | null> {
    if (!dir.endsWith('/')) dir = `${dir}/`;
    const db = this.ctx.db;
    const ids = await db.query<{ id: number }>('SELECT id FROM users WHERE public_key = $1', [user], { retry: true });
    if (ids.rows.length === 0) return null;
    const uid = ids.rows[0].id;
    const limit = Math.max(0, Math.min(1000, Math.floor(options.limit ?? 100)));
    const hi = prefixEnd(dir);
    // Every path under `dir` is > dir itself (files never end in '/'), so (dir, hi) bounds the subtree.
    const cursor = options.cursor ?? null;
    const reverse = options.reverse ?? false;
    let out: string[];
    if (!options.shallow) {
      if (reverse) {
        const upper = cursor !== null && byteLess(cursor, hi) ? cursor : hi;
        out = (await db.query<{ path: string }>(
          'SELECT path FROM entries WHERE user_id = $1 AND path > $2 AND path < $3 ORDER BY path DESC LIMIT $4', [uid, dir, upper, limit], { retry: true },
        )).rows.map((r) => r.path);
      } else {
        const lower = cursor !== null && byteLess(dir, cursor) ? cursor : dir;
        out = (await db.query<{ path: string }>(
          'SELECT path FROM entries WHERE user_id = $1 AND path > $2 AND path < $3 ORDER BY path LIMIT $4', [uid, lower, hi, limit], { retry: true },
        )).rows.map((r) => r.path);
      }
    } else if (!reverse) {
      // Skip scan in one statement: one index seek per child, jumping over each sub-directory.
      const fromCursor = cursor !== null && byteLess(dir, cursor);
      out = (await db.query<{ child: string }>(
        `WITH RECURSIVE walk(child) AS (
           (SELECT ${CHILD('e.path')} FROM entries e
            WHERE e.user_id = $1 AND e.path ${fromCursor ? '>' : '>='} $3 AND e.path < $4 ORDER BY e.path LIMIT 1)
           UNION ALL
           (SELECT ${CHILD('n.path')} FROM walk w CROSS JOIN LATERAL (
              SELECT e.path FROM entries e
              WHERE e.user_id = $1 AND e.path < $4 AND e.path >= (CASE WHEN right(w.child, 1) = '/'
                THEN left(w.child, -1) || '0' ELSE w.child || chr(1) END) COLLATE "C"
              ORDER BY e.path LIMIT 1) n)
         )
         SELECT child FROM walk WHERE $5::text IS NULL OR child > $5::text COLLATE "C" LIMIT $6`,
        [uid, dir, fromCursor ? cursor : dir, hi, cursor, limit],
        { retry: true },
      )).rows.map((r) => r.child);
    } else {
      const upper = cursor !== null && byteLess(cursor, hi) ? cursor : hi;
      out = (await db.query<{ child: string }>(
        `WITH RECURSIVE walk(child) AS (
           (SELECT ${CHILD('e.path')} FROM entries e
            WHERE e.user_id = $1 AND e.path > $2 AND e.path < $3 ORDER BY e.path DESC LIMIT 1)
           UNION ALL
           (SELECT ${CHILD('n.path')} FROM walk w CROSS JOIN LATERAL (
              SELECT e.path FROM entries e WHERE e.user_id = $1 AND e.path > $2 AND e.path < w.child
              ORDER BY e.path DESC LIMIT 1) n)
         )
         SELECT child FROM walk LIMIT $4`,
        [uid, dir, upper, limit],
        { retry: true },
      )).rows.map((r) => r.child);
    }
    if (out.length === 0) {
      const any = await db.query('SELECT 1 FROM entries WHERE user_id = $1 AND path > $2 AND path < $3 LIMIT 1', [uid, dir, hi], { retry: true });
      if (any.rows.length === 0) return null;
    }
    return out;
  }
}
