import { nowMicros } from '@pubky-ts/common';
import { type StorageError, storageErrors } from '../errors.ts';
import { FILE_OVERHEAD_BYTES, storageLimitBytes } from '../quota.ts';
import { ancestorFiles, prefixEnd } from '../path-ranges.ts';
import { entryFromRow, etagOf, type EntryRow } from '../rows.ts';
import { stageBody } from '../stage-body.ts';
import type { DeleteOptions, FileContent, FileEntry, FileStore, ListOptions, ReadOptions, WriteOptions } from '../types.ts';
import { conditionHolds, hasCondition, type WriteCondition } from '../write-condition.ts';
import type { QueryResult, QueryResultRow } from 'pg';
import { inMemoryContent, pickRange } from '../ranged-content.ts';
import { unpinBlob } from './blobs.ts';
import type { PgContext } from './context.ts';

interface EntryDataRow extends EntryRow {
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

const META = 'path, content_hash, content_length, content_type, modified_at, created_at';
const BY_KEY = 'user_id = (SELECT id FROM users WHERE public_key = $1) AND path = $2';

/** `collides` for user `u.id`: $3 = `<path>/`, $4 = prefixEnd of it, $5 = ancestor paths (spec §2.3). */
const COLLIDES = `(EXISTS (SELECT 1 FROM entries x WHERE x.user_id = u.id AND x.path >= $3 AND x.path < $4)
  OR EXISTS (SELECT 1 FROM entries x WHERE x.user_id = u.id AND x.path = ANY($5::text[])))`;

/** Immediate child of `$2` (the directory) for a path under it: the file itself or `<dir><segment>/`. */
const CHILD = (p: string) =>
  `(CASE WHEN strpos(substr(${p}, char_length($2) + 1), '/') > 0
     THEN substr(${p}, 1, char_length($2) + strpos(substr(${p}, char_length($2) + 1), '/')) ELSE ${p} END) COLLATE "C"`;

const RAISED: Record<string, () => StorageError> = {
  user_not_found: storageErrors.userNotFound,
  path_collision: storageErrors.pathCollision,
  quota_exceeded: storageErrors.quotaExceeded,
  not_found: storageErrors.notFound,
  blob_missing: storageErrors.blobMissing,
};

/** Maps `RAISE EXCEPTION 'pubky:<code>'` of hs_put / hs_delete to the StorageError catalogue. */
function raised(err: unknown): never {
  const e = err as { code?: string; message?: string };
  if (e.code === 'P0001' && typeof e.message === 'string' && e.message.startsWith('pubky:')) {
    const make = RAISED[e.message.slice(6)];
    if (make) throw make();
  }
  throw err;
}

/** Byte-order comparison, as PostgreSQL's COLLATE "C" (JS `<` compares UTF-16 units). */
function byteLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
}

/**
 * The bookkeeping + blob layer on PostgreSQL: streams the body (BLAKE3, type sniffing; small bodies in
 * memory, larger ones chunk by chunk into the blob backend), then commits entry + blob reference +
 * usage + PUT/DEL event in ONE transaction with the user row locked (FOR NO KEY UPDATE), so writers of
 * one user in any process are serialised for the final quota and collision checks. The transaction is
 * one statement (`hs_put` / `hs_delete`, migrations 0001/0002): one round trip; the events lock is taken
 * shared for the event insert and COMMIT (readers stop at the feed's watermark, see README); `events` is
 * NOTIFYed at commit. A write is acknowledged once the watermark has passed its event.
 */
export class PgFileStore implements FileStore {
  constructor(private readonly ctx: PgContext) {}

  async put(user: string, path: string, body: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<FileEntry> {
    if (path.endsWith('/') || !path.startsWith('/')) throw storageErrors.notAFile();
    const { rows } = await this.ctx.db.query<{
      id: number;
      used_bytes: number;
      quota_storage_mb: number | null;
      prev_length: number | null;
      prev_hash: Buffer | null;
      collides: boolean;
    }>(
      `SELECT u.id, u.used_bytes, u.quota_storage_mb, p.content_length AS prev_length, p.content_hash AS prev_hash, ${COLLIDES} AS collides
       FROM users u LEFT JOIN entries p ON p.user_id = u.id AND p.path = $2 WHERE u.public_key = $1`,
      [user, path, `${path}/`, `${path}0`, ancestorFiles(path)],
      { retry: true },
    );
    const u = rows[0];
    if (!u) throw storageErrors.userNotFound();
    if (!options.admin && u.collides) throw storageErrors.pathCollision();
    // A conditional write that already fails is refused before its body is read (re-checked at commit).
    if (hasCondition(options) && !conditionHolds(options, u.prev_hash)) throw storageErrors.preconditionFailed();
    // Bytes this write may still add (as of now; re-checked at commit under the user row lock).
    const limit = storageLimitBytes({ storageQuotaMb: u.quota_storage_mb }, this.ctx.defaultQuotaMb);
    const maxLength = limit === null ? Infinity : limit - u.used_bytes + (u.prev_length ?? -FILE_OVERHEAD_BYTES);

    const staged = await this.stage(path, body, maxLength, options.signal);
    let committed = false;
    try {
      const r = await this.finalizePut(u.id, user, path, staged, options);
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
    const s = await stageBody(path, body, {
      threshold: this.ctx.inlineThreshold,
      maxLength,
      signal,
      openSpill: () => this.ctx.blobs.begin(),
    });
    if (!s.spilled) return { hash: s.hash, length: s.length, contentType: s.contentType, inline: s.inline, blobId: null };
    try {
      const blobId = await s.spilled.finish(s.hash, s.length);
      return { hash: s.hash, length: s.length, contentType: s.contentType, inline: null, blobId };
    } catch (err) {
      await s.spilled.discard();
      throw err;
    }
  }

  /** Commits entry + blob reference + usage + PUT event in one statement (`hs_put`, one transaction). */
  private async finalizePut(userId: number, user: string, path: string, s: StagedBody, options: WriteOptions) {
    const now = nowMicros();
    const hashBuf = Buffer.from(s.hash);
    const { rows } = await this.conditionally('id = $1', userId, path, options, (query) =>
      query<{ event_id: number; entry_created_at: number; released: Buffer | null }>(
        'SELECT * FROM hs_put($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)',
        [
          userId,
          path,
          hashBuf,
          s.length,
          s.contentType,
          s.inline,
          s.blobId,
          now,
          options.admin ?? false,
          this.ctx.defaultQuotaMb,
          this.ctx.eventLockKey,
          `${path}/`,
          `${path}0`,
          ancestorFiles(path),
        ],
      ),
    ).catch(raised);
    const r = rows[0];
    const entry: FileEntry = {
      user,
      path,
      contentHash: s.hash,
      contentLength: s.length,
      contentType: s.contentType,
      modifiedAt: now,
      createdAt: r.entry_created_at,
      etag: etagOf(s.hash),
    };
    return { entry, eventId: r.event_id, released: r.released ? [r.released] : [] };
  }

  /**
   * Runs a write statement (`hs_put` / `hs_delete`, which lock the user row themselves). A
   * conditional write runs it in a transaction that first locks the user row (FOR NO KEY UPDATE, as
   * those functions do: every writer of this user in any process waits here) and checks the
   * condition against the current entry, so nothing can land between the check and the write.
   */
  private conditionally<R extends QueryResultRow>(
    userWhere: string,
    userKey: number | string,
    path: string,
    condition: WriteCondition,
    run: (query: <T extends QueryResultRow>(sql: string, params: unknown[]) => Promise<QueryResult<T>>) => Promise<QueryResult<R>>,
  ): Promise<QueryResult<R>> {
    const db = this.ctx.db;
    if (!hasCondition(condition)) return run((sql, params) => db.query(sql, params, { retry: 'unexecuted' }));
    return db.tx(async (c) => {
      const user = await c.query<{ id: number }>(`SELECT id FROM users WHERE ${userWhere} FOR NO KEY UPDATE`, [userKey]);
      if (user.rows.length === 0) throw storageErrors.userNotFound();
      const prev = await c.query<{ content_hash: Buffer }>('SELECT content_hash FROM entries WHERE user_id = $1 AND path = $2', [
        user.rows[0]!.id,
        path,
      ]);
      if (!conditionHolds(condition, prev.rows[0]?.content_hash ?? null)) throw storageErrors.preconditionFailed();
      return run((sql, params) => c.query(sql, params));
    });
  }

  async get(user: string, path: string, options?: ReadOptions): Promise<FileContent | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.ctx.db.query<EntryDataRow>(`SELECT ${META}, inline_data FROM entries WHERE ${BY_KEY}`, [user, path], {
        retry: true,
      });
      const r = rows[0];
      if (!r) return null;
      const entry = entryFromRow(user, r);
      const range = pickRange(entry, options);
      if (r.inline_data)
        return inMemoryContent(entry, new Uint8Array(r.inline_data.buffer, r.inline_data.byteOffset, r.inline_data.byteLength), range);
      if (r.content_length === 0) return inMemoryContent(entry, new Uint8Array(0), range);
      const body = await this.ctx.blobs.open(r.content_hash, r.content_length, range);
      // Gone: a concurrent overwrite/delete collected it between the lookup and the open; look again.
      if (body) return range ? { entry, body, inline: null, range } : { entry, body, inline: null };
    }
    throw storageErrors.blobMissing();
  }

  async head(user: string, path: string): Promise<FileEntry | null> {
    const { rows } = await this.ctx.db.query<EntryRow>(`SELECT ${META} FROM entries WHERE ${BY_KEY}`, [user, path], { retry: true });
    return rows[0] ? entryFromRow(user, rows[0]) : null;
  }

  async delete(user: string, path: string, options: DeleteOptions = {}): Promise<void> {
    const { rows } = await this.conditionally('public_key = $1', user, path, options, (query) =>
      query<{ event_id: number; released: Buffer | null }>('SELECT * FROM hs_delete($1, $2, $3, $4)', [
        user,
        path,
        nowMicros(),
        this.ctx.eventLockKey,
      ]),
    ).catch(raised);
    await this.ctx.blobs.collect(rows[0].released ? [rows[0].released] : []);
    await this.ctx.eventFeed.waitFor(rows[0].event_id);
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
        out = (
          await db.query<{ path: string }>(
            'SELECT path FROM entries WHERE user_id = $1 AND path > $2 AND path < $3 ORDER BY path DESC LIMIT $4',
            [uid, dir, upper, limit],
            { retry: true },
          )
        ).rows.map((r) => r.path);
      } else {
        const lower = cursor !== null && byteLess(dir, cursor) ? cursor : dir;
        out = (
          await db.query<{ path: string }>(
            'SELECT path FROM entries WHERE user_id = $1 AND path > $2 AND path < $3 ORDER BY path LIMIT $4',
            [uid, lower, hi, limit],
            { retry: true },
          )
        ).rows.map((r) => r.path);
      }
    } else if (!reverse) {
      // Skip scan in one statement: one index seek per child, jumping over each sub-directory.
      const fromCursor = cursor !== null && byteLess(dir, cursor);
      out = (
        await db.query<{ child: string }>(
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
        )
      ).rows.map((r) => r.child);
    } else {
      const upper = cursor !== null && byteLess(cursor, hi) ? cursor : hi;
      out = (
        await db.query<{ child: string }>(
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
        )
      ).rows.map((r) => r.child);
    }
    if (out.length === 0) {
      const any = await db.query('SELECT 1 FROM entries WHERE user_id = $1 AND path > $2 AND path < $3 LIMIT 1', [uid, dir, hi], {
        retry: true,
      });
      if (any.rows.length === 0) return null;
    }
    return out;
  }
}
