import { bytesToHex } from '@pubky-ts/common';
import { StorageError, storageErrors } from '../errors.ts';
import { FILE_OVERHEAD_BYTES, storageLimitBytes } from '../quota.ts';
import type { TempBlob } from '../blob-store.ts';
import { stageBody } from '../stage-body.ts';
import type { DeleteOptions, FileContent, FileEntry, FileStore, ListOptions, ReadOptions, WriteOptions } from '../types.ts';
import { conditionHolds, hasCondition } from '../write-condition.ts';
import { inMemoryContent, pickRange } from '../ranged-content.ts';
import type { SqliteContext } from './context.ts';
import { prefixEnd } from '../path-ranges.ts';
import { entryFromRow, etagOf, type EntryRow } from '../rows.ts';
import { writerOf } from '../write-authority.ts';
import type { PutJob, WriteDone } from './file-writer.ts';

interface EntryDataRow extends EntryRow {
  inline_data: Buffer | null;
}

/**
 * The bookkeeping + blob layer: streams the body (hashing with BLAKE3 and sniffing the type as it
 * goes), keeps small bodies in memory for inline storage and spills larger ones to a temp blob, then
 * hands the finalisation (entry upsert, blob reference, PUT/DEL event, `used_bytes`) to the
 * FileWriter (`ctx.writer`), which also enforces the checks that must hold at commit time: session
 * still current, user exists, collisions (unless admin), quota. Root/permission policy is the job of the layers above.
 */
export class SqliteFileStore implements FileStore {
  private readonly ctx: SqliteContext;
  private readonly entryMeta;
  private readonly entryData;
  private readonly entryDataById;
  private readonly lengthOf;
  private readonly hashOf;
  private readonly listAsc;
  private readonly listDesc;
  private readonly firstAfter;
  private readonly lastBefore;
  private readonly firstFrom;
  /** Built once: a closure per PUT costs a `__name` call under tsx. */
  private readonly openSpill = () => this.ctx.blobs.createTemp();

  constructor(ctx: SqliteContext) {
    this.ctx = ctx;
    const db = ctx.db;
    const meta = 'path, content_hash, content_length, content_type, modified_at, created_at';
    this.entryMeta = db.prepare<[string, string], EntryRow>(
      `SELECT ${meta} FROM entries WHERE user_id = (SELECT id FROM users WHERE public_key = ?) AND path = ?`,
    );
    this.entryDataById = db.prepare<[number, string], EntryDataRow>(
      `SELECT ${meta}, inline_data FROM entries WHERE user_id = ? AND path = ?`,
    );
    this.entryData = db.prepare<[string, string], EntryDataRow>(
      `SELECT ${meta}, inline_data FROM entries WHERE user_id = (SELECT id FROM users WHERE public_key = ?) AND path = ?`,
    );
    // The size of the entry an overwrite replaces (the quota allowance before the body is read).
    this.lengthOf = db.prepare<[number, string], number>('SELECT content_length FROM entries WHERE user_id = ? AND path = ?').pluck();
    this.hashOf = db.prepare<[number, string], Buffer>('SELECT content_hash FROM entries WHERE user_id = ? AND path = ?').pluck();
    this.listAsc = db.prepare<[number, string, string, number], { path: string }>(
      'SELECT path FROM entries WHERE user_id = ? AND path > ? AND path < ? ORDER BY path LIMIT ?',
    );
    this.listDesc = db.prepare<[number, string, string, number], { path: string }>(
      'SELECT path FROM entries WHERE user_id = ? AND path > ? AND path < ? ORDER BY path DESC LIMIT ?',
    );
    this.firstAfter = db.prepare<[number, string, string], { path: string }>(
      'SELECT path FROM entries WHERE user_id = ? AND path > ? AND path < ? ORDER BY path LIMIT 1',
    );
    this.firstFrom = db.prepare<[number, string, string], { path: string }>(
      'SELECT path FROM entries WHERE user_id = ? AND path >= ? AND path < ? ORDER BY path LIMIT 1',
    );
    this.lastBefore = db.prepare<[number, string, string], { path: string }>(
      'SELECT path FROM entries WHERE user_id = ? AND path > ? AND path < ? ORDER BY path DESC LIMIT 1',
    );
  }

  async put(user: string, path: string, body: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<FileEntry> {
    if (path.endsWith('/') || !path.startsWith('/')) throw storageErrors.notAFile();
    const u = writerOf(options, user) ?? this.ctx.caches.user(user);
    if (!u) throw storageErrors.userNotFound();
    // The early 409 spares a large upload; a small declared body is cheaper to read than to pre-check
    // (the commit re-checks anyway, with the same outcome).
    const small = options.sizeHint !== undefined && options.sizeHint <= this.ctx.inlineThreshold;
    if (!options.admin && !small && this.ctx.writer.collides(u.id, path)) throw storageErrors.pathCollision();
    // A conditional write that already fails is refused before its body is read (re-checked at commit).
    const condition = hasCondition(options) ? { ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch } : null;
    if (condition && !conditionHolds(condition, this.hashOf.get(u.id, path) ?? null)) throw storageErrors.preconditionFailed();

    // Bytes this write may still add without exceeding the quota (as of now; re-checked at commit).
    // First as if the file were new; an overwrite frees the old length, looked up only if needed.
    const limit = storageLimitBytes(u, this.ctx.defaultQuotaMb);
    let maxLength = limit === null ? Infinity : limit - u.usedBytes - FILE_OVERHEAD_BYTES;
    const overwriteAllowance =
      limit === null
        ? null
        : () => {
            const prevLength = this.lengthOf.get(u.id, path);
            return prevLength !== undefined ? limit - u.usedBytes + prevLength : maxLength;
          };
    if (options.sizeHint !== undefined && options.sizeHint > maxLength && overwriteAllowance) maxLength = overwriteAllowance();

    const staged = await stageBody(path, body, {
      threshold: this.ctx.inlineThreshold,
      maxLength,
      widen: overwriteAllowance,
      signal: options.signal,
      openSpill: this.openSpill,
    });
    // A spilled body becomes a pinned blob file, named by its hash, until the commit references it.
    const hashHex = staged.spilled ? await this.promote(staged.spilled, staged.hash) : '';
    const job: PutJob = {
      kind: 'put',
      userId: u.id,
      path,
      hash: staged.hash,
      length: staged.length,
      contentType: staged.contentType,
      inline: staged.inline,
      admin: options.admin === true,
      auth: options.authority?.stamp ?? null,
      condition,
    };
    try {
      const done = await this.ctx.writer.write(job, (d) => this.afterCommit('PUT', user, path, staged.hash, d));
      return {
        user,
        path,
        contentHash: staged.hash,
        contentLength: staged.length,
        contentType: staged.contentType,
        modifiedAt: done.at,
        createdAt: done.createdAt,
        etag: etagOf(staged.hash),
      };
    } finally {
      if (hashHex) this.ctx.blobs.unpin(hashHex);
    }
  }

  /** Finishes a spilled body and promotes it to the pinned blob file `hash`; its hex name. */
  private async promote(spilled: TempBlob, hash: Uint8Array): Promise<string> {
    const hashHex = bytesToHex(hash);
    try {
      await spilled.finish();
      await this.ctx.blobs.promote(spilled, hashHex);
    } catch (err) {
      await spilled.discard();
      throw err;
    }
    return hashHex;
  }

  /** Right after the commit, in commit order: unlinks blob files nothing references any more, publishes the event. */
  private afterCommit(type: 'PUT' | 'DEL', user: string, path: string, contentHash: Uint8Array | null, done: WriteDone): void {
    for (const hex of done.released) this.ctx.blobs.unlinkUnreferenced(hex, this.ctx.refs.isReferenced);
    this.ctx.eventBus.publish({ id: done.eventId, type, user, path, contentHash, createdAt: done.at });
  }

  async get(user: string, path: string, options?: ReadOptions): Promise<FileContent | null> {
    // Small inline files come from the read cache (kept coherent by RowCaches); the row read on a
    // miss is reused below for everything else.
    let row: EntryDataRow | undefined;
    const cached = this.ctx.caches.file(user, path, (userId) => {
      row = this.entryDataById.get(userId, path);
      if (!row || !row.inline_data) return null;
      const d = row.inline_data;
      return { entry: Object.freeze(entryFromRow(user, row)), inline: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
    });
    if (cached === undefined) return null;
    if (cached) return inMemoryContent(cached.entry, cached.inline, pickRange(cached.entry, options));
    if (!row) return null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = attempt === 0 ? row : this.entryData.get(user, path);
      if (!r) return null;
      const entry = entryFromRow(user, r);
      const range = pickRange(entry, options);
      if (r.inline_data)
        return inMemoryContent(entry, new Uint8Array(r.inline_data.buffer, r.inline_data.byteOffset, r.inline_data.byteLength), range);
      if (r.content_length === 0) return inMemoryContent(entry, new Uint8Array(0), range);
      const body = await this.ctx.blobs.openRead(r.content_hash.toString('hex'), range);
      // Missing file: a concurrent overwrite/delete unlinked it between the lookup and the open; look again.
      if (body) return range ? { entry, body, inline: null, range } : { entry, body, inline: null };
    }
    throw storageErrors.blobMissing();
  }

  async head(user: string, path: string): Promise<FileEntry | null> {
    const r = this.entryMeta.get(user, path);
    return r ? entryFromRow(user, r) : null;
  }

  async delete(user: string, path: string, options: DeleteOptions = {}): Promise<void> {
    const u = writerOf(options, user) ?? this.ctx.caches.user(user);
    if (!u) throw storageErrors.userNotFound();
    const condition = hasCondition(options) ? { ifMatch: options.ifMatch, ifNoneMatch: options.ifNoneMatch } : null;
    await this.ctx.writer.write({ kind: 'del', userId: u.id, path, condition }, (d) => this.afterCommit('DEL', user, path, null, d));
  }

  async list(user: string, dir: string, options: ListOptions = {}): Promise<string[] | null> {
    // JS compares strings by UTF-16 code units, SQLite by UTF-8 bytes; they disagree above U+FFFF
    // (😀 < ～ in UTF-16, > in UTF-8). Every comparison here uses byte order, like the database.
    if (!dir.endsWith('/')) dir = `${dir}/`;
    const u = this.ctx.caches.user(user);
    if (!u) return null;
    const limit = Math.max(0, Math.min(1000, Math.floor(options.limit ?? 100)));
    const hi = prefixEnd(dir);
    // Every path under `dir` is > dir itself (files never end in '/'), so (dir, hi) bounds the subtree.
    const cursor = options.cursor ?? null;
    let out: string[];
    if (!options.shallow) {
      if (options.reverse) {
        const upper = cursor !== null && byteCompare(cursor, hi) < 0 ? cursor : hi;
        out = this.listDesc.all(u.id, dir, upper, limit).map((r) => r.path);
      } else {
        const lower = cursor !== null && byteCompare(cursor, dir) > 0 ? cursor : dir;
        out = this.listAsc.all(u.id, lower, hi, limit).map((r) => r.path);
      }
    } else {
      out = this.listShallow(u.id, dir, hi, cursor, limit, options.reverse ?? false);
    }
    if (out.length === 0 && !this.firstAfter.get(u.id, dir, hi)) return null;
    return out;
  }

  /**
   * Immediate children by skip scan: one indexed seek per child, jumping over each sub-directory's
   * whole subtree, so a page costs O(limit) seeks whatever the tree size.
   */
  private listShallow(userId: number, dir: string, hi: string, cursor: string | null, limit: number, reverse: boolean): string[] {
    const out: string[] = [];
    const childOf = (p: string): string => {
      const slash = p.indexOf('/', dir.length);
      return slash < 0 ? p : p.slice(0, slash + 1);
    };
    if (!reverse) {
      let row =
        cursor !== null && byteCompare(cursor, dir) > 0 ? this.firstAfter.get(userId, cursor, hi) : this.firstFrom.get(userId, dir, hi);
      while (row && out.length < limit) {
        const child = childOf(row.path);
        if (cursor === null || byteCompare(child, cursor) > 0) out.push(child);
        // Next candidate: past this child's whole subtree, or just past the file itself.
        row = child.endsWith('/') ? this.firstFrom.get(userId, prefixEnd(child), hi) : this.firstAfter.get(userId, child, hi);
      }
    } else {
      let upper = cursor !== null && byteCompare(cursor, hi) < 0 ? cursor : hi;
      while (out.length < limit) {
        const row = this.lastBefore.get(userId, dir, upper);
        if (!row) break;
        const child = childOf(row.path);
        out.push(child);
        // All paths of this child's subtree are >= child.
        upper = child;
      }
    }
    return out;
  }
}

/** Byte order of the UTF-8 encodings (= code point order), the order SQLite's BINARY collation uses. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
