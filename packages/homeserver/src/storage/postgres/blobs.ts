import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import type { PgDatabase } from '../../db/postgres/database.ts';
import { TempBlob } from '../blob-store.ts';
import type { ByteRange } from '../types.ts';

/** Bytes per `blob_chunks` row. */
export const CHUNK_BYTES = 256 * 1024;
/** Blobs up to this size are read back in one statement (one snapshot, no pin needed). */
export const SINGLE_READ_BYTES = 1024 * 1024;
/** Chunks fetched per query when streaming a larger blob. */
const CHUNKS_PER_PAGE = 4;

/** A body being streamed into blob storage. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * The body is complete: make it the blob `hash` and pin it (refcount unchanged, `pins` + 1). If that
   * blob already exists, it is pinned and this upload is dropped. Returns the blob id.
   */
  finish(hash: Uint8Array, length: number): Promise<number>;
  /** Drops the upload (error, abort, quota). Never throws. */
  discard(): Promise<void>;
}

/** Where blob bytes live; reference counts and pins are always in the `blobs` table. */
export interface BlobBackend {
  readonly kind: 'postgres' | 'dir';
  begin(): Promise<BlobWriter>;
  /**
   * Streams blob `hash` of `length` bytes (or bytes `range.start`..`range.end` of it); null when it
   * no longer exists (concurrently collected).
   */
  open(hash: Buffer, length: number, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | null>;
  /** Deletes those of `hashes` that nothing references and nothing pins. Never throws. */
  collect(hashes: Buffer[]): Promise<void>;
  /** Start-up sweep of abandoned uploads and unreferenced blobs; returns how many were removed. */
  sweep(): Promise<number>;
}

export interface BlobOptions {
  /** A pin older than this no longer protects a blob (crashed writer or reader); default 1 h. */
  stalePinMicros?: number;
}

const HOUR_MICROS = 3_600_000_000;
const nowUs = () => Date.now() * 1000;

/** Releases a pin taken by `finish` when the referencing transaction did not commit. */
export async function unpinBlob(db: PgDatabase, blobId: number): Promise<void> {
  await db.query('UPDATE blobs SET pins = GREATEST(pins - 1, 0) WHERE id = $1', [blobId]).catch(() => undefined);
}

const GARBAGE = 'refcount <= 0 AND (pins <= 0 OR pinned_at < $2)';

/** Contents in PostgreSQL: `blob_chunks(blob_id, seq, data)`, written chunk by chunk while streaming. */
export class PgChunkBlobs implements BlobBackend {
  readonly kind = 'postgres' as const;
  private readonly stale: number;

  constructor(
    private readonly db: PgDatabase,
    options: BlobOptions = {},
  ) {
    this.stale = options.stalePinMicros ?? HOUR_MICROS;
  }

  async begin(): Promise<BlobWriter> {
    const { rows } = await this.db.query<{ id: number }>('INSERT INTO blobs (created_at) VALUES ($1) RETURNING id', [nowUs()], {
      retry: false,
    });
    return new PgChunkWriter(this.db, rows[0].id);
  }

  async open(hash: Buffer, length: number, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | null> {
    // Only the chunks that hold the range are fetched; the first and last are cut to it.
    const first = range ? Math.floor(range.start / CHUNK_BYTES) : 0;
    const last = range ? Math.floor(range.end / CHUNK_BYTES) : Math.max(0, Math.ceil(length / CHUNK_BYTES) - 1);
    const cut = range ? { skip: range.start - first * CHUNK_BYTES, total: range.end - range.start + 1 } : null;
    if ((last - first + 1) * CHUNK_BYTES <= SINGLE_READ_BYTES) {
      const { rows } = await this.db.query<{ data: Buffer }>(
        'SELECT c.data FROM blobs b JOIN blob_chunks c ON c.blob_id = b.id WHERE b.hash = $1 AND c.seq BETWEEN $2 AND $3 ORDER BY c.seq',
        [hash, first, last],
        { retry: true },
      );
      if (rows.length === 0) return null;
      const parts = rows.map((r) => r.data);
      return fromArray(cut ? cutTo(parts, cut.skip, cut.total) : parts);
    }
    // Larger: pin for the duration of the read so a concurrent overwrite cannot collect it midway.
    const { rows } = await this.db.query<{ id: number }>(
      'UPDATE blobs SET pins = pins + 1, pinned_at = $2 WHERE hash = $1 RETURNING id',
      [hash, nowUs()],
      { retry: false },
    );
    if (rows.length === 0) return null;
    const pages = this.pages(rows[0].id, hash, first, last);
    return cut ? cutStream(pages, cut.skip, cut.total) : pages;
  }

  private async *pages(blobId: number, hash: Buffer, first: number, last: number): AsyncIterable<Uint8Array> {
    try {
      let seq = first;
      while (seq <= last) {
        const { rows } = await this.db.query<{ seq: number; data: Buffer }>(
          'SELECT seq, data FROM blob_chunks WHERE blob_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4',
          [blobId, seq, last, CHUNKS_PER_PAGE],
          { retry: true },
        );
        for (const r of rows) {
          if (r.seq !== seq) throw new Error(`blob ${hash.toString('hex')} is missing chunk ${seq}`);
          seq++;
          yield r.data;
        }
        if (rows.length < CHUNKS_PER_PAGE) return;
      }
    } finally {
      await unpinBlob(this.db, blobId);
      await this.collect([hash]);
    }
  }

  async collect(hashes: Buffer[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.db.query(`DELETE FROM blobs WHERE hash = ANY($1) AND ${GARBAGE}`, [hashes, nowUs() - this.stale]).catch(() => undefined);
  }

  async sweep(): Promise<number> {
    const pending = await this.db.query('DELETE FROM blobs WHERE hash IS NULL AND created_at < $1', [nowUs() - 24 * HOUR_MICROS]);
    const garbage = await this.db.query(`DELETE FROM blobs WHERE hash IS NOT NULL AND ${GARBAGE.replace('$2', '$1')}`, [
      nowUs() - this.stale,
    ]);
    return (pending.rowCount ?? 0) + (garbage.rowCount ?? 0);
  }
}

class PgChunkWriter implements BlobWriter {
  private parts: Uint8Array[] = [];
  private buffered = 0;
  private seq = 0;

  constructor(
    private readonly db: PgDatabase,
    private readonly pendingId: number,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(chunk.length - off, CHUNK_BYTES - this.buffered);
      // Copy: callers may reuse their buffers.
      this.parts.push(Uint8Array.prototype.slice.call(chunk, off, off + take));
      this.buffered += take;
      off += take;
      if (this.buffered === CHUNK_BYTES) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const data = Buffer.concat(this.parts);
    this.parts = [];
    this.buffered = 0;
    await this.db.query('INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3)', [this.pendingId, this.seq++, data], {
      retry: false,
    });
  }

  async finish(hash: Uint8Array, length: number): Promise<number> {
    await this.flush();
    const h = Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.db.query<{ id: number }>(
        'UPDATE blobs SET pins = pins + 1, pinned_at = $2 WHERE hash = $1 RETURNING id',
        [h, nowUs()],
        { retry: false },
      );
      if (existing.rows.length > 0) {
        await this.discard();
        return existing.rows[0].id;
      }
      try {
        await this.db.query(
          'UPDATE blobs SET hash = $2, size = $3, pins = 1, pinned_at = $4 WHERE id = $1',
          [this.pendingId, h, length, nowUs()],
          { retry: false },
        );
        return this.pendingId;
      } catch (err) {
        // Another upload of the same bytes finished first: pin that one instead.
        if ((err as { code?: string }).code !== '23505' || attempt >= 3) throw err;
      }
    }
  }

  async discard(): Promise<void> {
    this.parts = [];
    await this.db.query('DELETE FROM blobs WHERE id = $1 AND hash IS NULL', [this.pendingId]).catch(() => undefined);
  }
}

async function* fromArray(parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield p;
}

/**
 * Contents as files in a directory shared by every process (`<dir>/<h0h1>/<h2h3>/<hash>`), with the
 * reference counts and pins in PostgreSQL. A blob file is renamed into place only after its row is
 * pinned, and unlinked only while its (unreferenced, unpinned) row is being deleted under a row lock,
 * so no process can adopt a file another is removing. Temp files are per process (`tmp/<random>`).
 */
export class DirBlobs implements BlobBackend {
  readonly kind = 'dir' as const;
  readonly root: string;
  private readonly tmpDir: string;
  private readonly stale: number;

  constructor(
    private readonly db: PgDatabase,
    root: string,
    options: BlobOptions & { fsync?: boolean } = {},
  ) {
    this.root = root;
    this.tmpDir = join(root, 'tmp');
    this.stale = options.stalePinMicros ?? HOUR_MICROS;
    this.fsync = options.fsync ?? false;
  }

  private readonly fsync: boolean;

  pathOf(hashHex: string): string {
    return join(this.root, hashHex.slice(0, 2), hashHex.slice(2, 4), hashHex);
  }

  async begin(): Promise<BlobWriter> {
    await mkdir(this.tmpDir, { recursive: true });
    const path = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const handle = await open(path, 'wx');
    return new DirWriter(this, new TempBlob(path, handle, this.fsync));
  }

  /** Pins the row (creating it), then puts the file in place unless it is already there. */
  async adopt(temp: TempBlob, hash: Uint8Array, length: number): Promise<number> {
    await temp.finish();
    const h = Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength);
    const { rows } = await this.db.query<{ id: number }>(
      `INSERT INTO blobs (hash, size, refcount, pins, pinned_at, created_at) VALUES ($1, $2, 0, 1, $3, $3)
       ON CONFLICT (hash) DO UPDATE SET pins = blobs.pins + 1, pinned_at = EXCLUDED.pinned_at RETURNING id`,
      [h, length, nowUs()],
      { retry: false },
    );
    const id = rows[0].id;
    try {
      const hex = h.toString('hex');
      const target = this.pathOf(hex);
      if (existsSync(target)) await unlink(temp.path);
      else {
        await mkdir(join(this.root, hex.slice(0, 2), hex.slice(2, 4)), { recursive: true });
        await rename(temp.path, target);
      }
    } catch (err) {
      await temp.discard();
      await unpinBlob(this.db, id);
      throw err;
    }
    return id;
  }

  async open(hash: Buffer, _length: number, range?: ByteRange): Promise<AsyncIterable<Uint8Array> | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(hash.toString('hex')), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    // Opened first: an unlink after this point does not cut the read.
    return handle.createReadStream({
      autoClose: true,
      highWaterMark: 64 * 1024,
      start: range?.start,
      end: range?.end,
    }) as AsyncIterable<Uint8Array>;
  }

  async collect(hashes: Buffer[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.db
      .tx(async (c: PoolClient) => {
        const { rows } = await c.query<{ hash: Buffer }>(`DELETE FROM blobs WHERE hash = ANY($1) AND ${GARBAGE} RETURNING hash`, [
          hashes,
          nowUs() - this.stale,
        ]);
        // Unlinked while the deleted rows are still locked: a writer pinning the same hash waits for
        // this commit, then recreates the row and the file.
        for (const r of rows) rmSync(this.pathOf(r.hash.toString('hex')), { force: true });
      })
      .catch(() => undefined);
  }

  async sweep(): Promise<number> {
    const { rows } = await this.db.query<{ hash: Buffer }>('SELECT hash FROM blobs WHERE hash IS NOT NULL AND refcount <= 0');
    const before = rows.length;
    await this.collect(rows.map((r) => r.hash));
    let removed = before;
    // Orphan files (no row at all) older than the stale-pin age, and abandoned temp files.
    const cutoff = Date.now() - this.stale / 1000;
    const known = async (hex: string) =>
      (await this.db.query('SELECT 1 FROM blobs WHERE hash = $1', [Buffer.from(hex, 'hex')])).rows.length > 0;
    for (const a of safeReaddir(this.root)) {
      if (a === 'tmp' || a.length !== 2) continue;
      for (const b of safeReaddir(join(this.root, a))) {
        for (const name of safeReaddir(join(this.root, a, b))) {
          const full = join(this.root, a, b, name);
          if (/^[0-9a-f]{64}$/.test(name) && mtimeMs(full) < cutoff && !(await known(name))) {
            rmSync(full, { force: true });
            removed++;
          }
        }
      }
    }
    for (const name of safeReaddir(this.tmpDir)) {
      const full = join(this.tmpDir, name);
      if (mtimeMs(full) < Date.now() - 24 * 3_600_000) rmSync(full, { force: true });
    }
    return removed;
  }
}

class DirWriter implements BlobWriter {
  constructor(
    private readonly blobs: DirBlobs,
    private readonly temp: TempBlob,
  ) {}

  write(chunk: Uint8Array): Promise<void> {
    return this.temp.write(chunk);
  }

  finish(hash: Uint8Array, length: number): Promise<number> {
    return this.blobs.adopt(this.temp, hash, length);
  }

  discard(): Promise<void> {
    return this.temp.discard();
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

/** `parts` without their first `skip` bytes, `total` bytes in all. */
function cutTo(parts: Uint8Array[], skip: number, total: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (total <= 0) break;
    const piece = p.subarray(Math.min(skip, p.length), Math.min(p.length, skip + total));
    skip = Math.max(0, skip - p.length);
    if (piece.length > 0) out.push(piece);
    total -= piece.length;
  }
  return out;
}

/** The same cut, over a stream (leaving the loop early still runs the stream's cleanup). */
async function* cutStream(parts: AsyncIterable<Uint8Array>, skip: number, total: number): AsyncIterable<Uint8Array> {
  for await (const p of parts) {
    if (total <= 0) break;
    const piece = p.subarray(Math.min(skip, p.length), Math.min(p.length, skip + total));
    skip = Math.max(0, skip - p.length);
    total -= piece.length;
    if (piece.length > 0) yield piece;
  }
}
