import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Content-addressed blob files: `<root>/<h0h1>/<h2h3>/<64 hex>`. A blob is written to
 * `<root>/tmp/<random>`, optionally fsync'd, then renamed into place, so a reader (or a restart after
 * a crash) never sees a partial blob under its final name. Which blobs are referenced is the
 * database's business (`blob_files` rows); this class only pins blobs between their rename and the
 * commit that references them, so a concurrent unlink cannot remove a blob about to be referenced.
 */
export class BlobStore {
  readonly root: string;
  private readonly tmpDir: string;
  private readonly fsync: boolean;
  private readonly pins = new Map<string, number>();

  constructor(root: string, options: { fsync?: boolean } = {}) {
    this.root = root;
    this.tmpDir = join(root, 'tmp');
    this.fsync = options.fsync ?? false;
    mkdirSync(this.tmpDir, { recursive: true });
    // Whatever is in tmp/ was being written when the process died: never acknowledged.
    for (const name of readdirSync(this.tmpDir)) rmSync(join(this.tmpDir, name), { force: true, recursive: true });
  }

  pathOf(hashHex: string): string {
    return join(this.root, hashHex.slice(0, 2), hashHex.slice(2, 4), hashHex);
  }

  /** Opens a new temporary file for writing. */
  async createTemp(): Promise<TempBlob> {
    const path = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const handle = await open(path, 'wx');
    return new TempBlob(path, handle, this.fsync);
  }

  /**
   * Moves a finished temp file to its content address and pins it; the caller must `unpin` once the
   * referencing transaction has committed or failed. If the blob already exists the temp file is
   * dropped (same bytes, by construction).
   */
  async promote(temp: TempBlob, hashHex: string): Promise<void> {
    this.pin(hashHex);
    try {
      const target = this.pathOf(hashHex);
      if (existsSync(target)) {
        await unlink(temp.path);
        return;
      }
      const dir = join(this.root, hashHex.slice(0, 2), hashHex.slice(2, 4));
      const created = await mkdir(dir, { recursive: true });
      await rename(temp.path, target);
      if (this.fsync) {
        // The new name must survive power loss too: sync the directory, and its parents if new.
        await fsyncDir(dir);
        if (created !== undefined) {
          await fsyncDir(join(this.root, hashHex.slice(0, 2)));
          await fsyncDir(this.root);
        }
      }
    } catch (err) {
      this.unpin(hashHex);
      throw err;
    }
  }

  pin(hashHex: string): void {
    this.pins.set(hashHex, (this.pins.get(hashHex) ?? 0) + 1);
  }

  unpin(hashHex: string): void {
    const n = (this.pins.get(hashHex) ?? 0) - 1;
    if (n <= 0) this.pins.delete(hashHex);
    else this.pins.set(hashHex, n);
  }

  isPinned(hashHex: string): boolean {
    return this.pins.has(hashHex);
  }

  /**
   * Removes a blob the database no longer references. Synchronous on purpose: the decision (not
   * pinned, no row) and the unlink happen in the same turn, so no writer can adopt the file between.
   */
  unlinkUnreferenced(hashHex: string, isReferenced: (hashHex: string) => boolean): void {
    if (this.isPinned(hashHex) || isReferenced(hashHex)) return;
    try {
      unlinkSync(this.pathOf(hashHex));
    } catch {
      // Already gone; the start-up sweep tolerates that too.
    }
  }

  /**
   * Streams a blob, or bytes `range.start`..`range.end` of it. Opens the file first, so an unlink
   * after this resolves does not cut the read.
   */
  async openRead(hashHex: string, range?: { start: number; end: number }): Promise<AsyncIterable<Uint8Array> | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(hashHex), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return handle.createReadStream({
      autoClose: true,
      highWaterMark: 64 * 1024,
      start: range?.start,
      end: range?.end,
    }) as AsyncIterable<Uint8Array>;
  }

  /**
   * Start-up sweep: deletes blob files nothing references (left by a crash between the rename and
   * the commit, or by an unlink that never ran). Returns how many were removed.
   */
  sweep(isReferenced: (hashHex: string) => boolean): number {
    let removed = 0;
    for (const a of safeReaddir(this.root)) {
      if (a === 'tmp' || a.length !== 2) continue;
      for (const b of safeReaddir(join(this.root, a))) {
        for (const name of safeReaddir(join(this.root, a, b))) {
          if (/^[0-9a-f]{64}$/.test(name) && !this.isPinned(name) && !isReferenced(name)) {
            rmSync(join(this.root, a, b, name), { force: true });
            removed++;
          }
        }
      }
    }
    return removed;
  }
}

/** A blob being written. */
export class TempBlob {
  readonly path: string;
  private handle: FileHandle | null;
  private readonly fsync: boolean;

  constructor(path: string, handle: FileHandle, fsync: boolean) {
    this.path = path;
    this.handle = handle;
    this.fsync = fsync;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (!this.handle) throw new Error('temp blob already closed');
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  }

  /** Flushes (fsync with durability 'fsync') and closes. */
  async finish(): Promise<void> {
    if (!this.handle) return;
    const h = this.handle;
    this.handle = null;
    try {
      if (this.fsync) await h.sync();
    } finally {
      await h.close();
    }
  }

  /** Closes and deletes (failed or aborted upload). Never throws. */
  async discard(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    try {
      await h?.close();
    } catch {
      // ignore
    }
    try {
      await unlink(this.path);
    } catch {
      // ignore
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
