import { storageErrors } from './errors.ts';
import { exceedsQuota, storageLimitBytes, writeDelta } from './quota.ts';
import { writerOf } from './write-authority.ts';
import type { FileContent, FileEntry, FileStore, ListOptions, ReadOptions, UserRecord, UserStore, WriteOptions } from './types.ts';

/**
 * Early quota check (spec §2.8): with a declared size (`Content-Length`) a write that cannot fit is
 * refused with 507 before any byte is read. The exact check runs again in the commit transaction.
 */
export class QuotaFileStore implements FileStore {
  constructor(
    private readonly inner: FileStore,
    private readonly users: Pick<UserStore, 'get'>,
    private readonly defaultQuotaMb: number | null,
  ) {}

  // No async frame of its own unless the quota check needs a lookup (one per PUT adds up).
  put(user: string, path: string, body: AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<FileEntry> {
    const hint = options.sizeHint;
    if (hint === undefined || !Number.isFinite(hint) || hint < 0) return this.inner.put(user, path, body, options);
    const u = writerOf(options, user);
    if (u !== undefined && !this.exceedsAsNewFile(u, hint)) return this.inner.put(user, path, body, options);
    return this.checkedPut(user, path, body, options, hint);
  }

  /** Whether `hint` more bytes in a new file would exceed the user's quota (an overwrite can only need less). */
  private exceedsAsNewFile(u: UserRecord, hint: number): boolean {
    const limit = storageLimitBytes(u, this.defaultQuotaMb);
    return limit !== null && exceedsQuota(u.usedBytes, writeDelta(hint, null), limit);
  }

  private async checkedPut(
    user: string,
    path: string,
    body: AsyncIterable<Uint8Array>,
    options: WriteOptions,
    hint: number,
  ): Promise<FileEntry> {
    const u = writerOf(options, user) ?? (await this.users.get(user));
    if (u && this.exceedsAsNewFile(u, hint)) {
      // The old entry is looked up only now: an overwrite frees its length.
      const prev = await this.inner.head(user, path, { admin: true });
      const limit = storageLimitBytes(u, this.defaultQuotaMb)!;
      if (!prev || exceedsQuota(u.usedBytes, writeDelta(hint, prev.contentLength), limit)) throw storageErrors.quotaExceeded();
    }
    return this.inner.put(user, path, body, options);
  }

  get(user: string, path: string, options?: ReadOptions): Promise<FileContent | null> {
    return this.inner.get(user, path, options);
  }

  head(user: string, path: string, options?: { admin?: boolean }): Promise<FileEntry | null> {
    return this.inner.head(user, path, options);
  }

  delete(user: string, path: string, options?: Parameters<FileStore['delete']>[2]): Promise<void> {
    return this.inner.delete(user, path, options);
  }

  list(user: string, dir: string, options?: ListOptions): Promise<string[] | null> {
    return this.inner.list(user, dir, options);
  }
}
