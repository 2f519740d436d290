// Import: verify the WHOLE archive first (nothing is written when any part is bad), then write each
// file from its slice of the archive, then check every written file's ETag against the manifest.
import { PubkyError } from '@pubky-ts/common';
import { abortedError } from '../errors.ts';
import type { Session } from '../session.ts';
import { ArchiveError } from './errors.ts';
import { forEachConcurrent, listFiles } from '../tree.ts';
import { hashToHex, type ArchiveFile, type ArchiveManifest } from './manifest.ts';
import type { ArchiveProgress } from './progress.ts';
import { toBlob, verifyArchive, type ArchiveSource } from './verify.ts';

export interface ImportArchiveOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ArchiveProgress) => void;
  /**
   * Delete files on the homeserver that the archive does not hold, so the tree ends exactly as
   * archived. Default false: files that exist only on the homeserver are kept.
   */
  prune?: boolean;
  /** Uploads and checks in flight. Default 4. */
  concurrency?: number;
}

export interface ImportArchiveResult {
  manifest: ArchiveManifest;
  /** Files in the archive. */
  files: number;
  /** Files written. */
  written: number;
  /** Files already on the homeserver with the same content (not written again). */
  unchanged: number;
  /** Files deleted (with `prune`). */
  deleted: number;
  /** Content bytes uploaded. */
  bytes: number;
  /**
   * Files whose content type on the homeserver differs from the manifest's (the homeserver chooses
   * types itself: from the content and the extension). Their bytes and hashes are checked and equal.
   */
  contentTypeDifferences: Array<{ path: string; archived: string | null; stored: string | null }>;
}

function quoted(hash: string): string {
  return `"${hash}"`;
}

/**
 * Restores an archive into the session user's tree. The archive must be the session user's and pass
 * `verifyArchive` completely before anything is written; files already identical on the homeserver
 * are skipped (so an interrupted import can simply be run again); every written file's ETag is
 * checked afterwards. With `prune`, files not in the archive are then deleted.
 */
export async function importArchive(
  session: Session,
  source: ArchiveSource,
  options: ImportArchiveOptions = {},
): Promise<ImportArchiveResult> {
  const blob = toBlob(source);
  const { signal } = options;
  const progress = options.onProgress ?? (() => {});
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const verified = await verifyArchive(blob, { signal, onProgress: options.onProgress, expectedUser: session.publicKey.z32 });
  const { manifest } = verified;
  if (signal?.aborted) throw abortedError(signal);

  // What the homeserver holds already: identical files are skipped, others (with prune) deleted.
  const existing = new Set(await listFiles(session, signal));
  const wanted = new Set(manifest.files.map((f) => f.path));
  const todo: ArchiveFile[] = [];
  let unchanged = 0;
  await forEachConcurrent(
    manifest.files.filter((f) => existing.has(f.path)),
    concurrency,
    async (f) => {
      const stats = await session.storage.stats(f.path, { signal });
      if (stats && stats.etag === quoted(f.hash) && stats.size === f.size) unchanged++;
      else todo.push(f);
    },
  );
  for (const f of manifest.files) if (!existing.has(f.path)) todo.push(f);

  const totalBytes = todo.reduce((n, f) => n + f.size, 0);
  let bytes = 0;
  let written = 0;
  progress({ phase: 'uploading', files: 0, totalFiles: todo.length, bytes: 0, totalBytes });
  await forEachConcurrent(todo, concurrency, async (f) => {
    const where = verified.blobs.get(hashToHex(f.hash))!;
    const body = blob.slice(where.offset, where.offset + where.size);
    try {
      await session.storage.put(f.path, body, { contentType: f.contentType ?? undefined, signal });
    } catch (e) {
      if (e instanceof PubkyError) throw e;
      throw new ArchiveError(
        'archive_invalid',
        `the archive could not be read while uploading ${f.path}: ${(e as Error)?.message ?? String(e)}`,
        { cause: e },
      );
    }
    bytes += f.size;
    written++;
    progress({ phase: 'uploading', files: written, totalFiles: todo.length, bytes, totalBytes });
  });

  // Every written file as the manifest says (HEAD: size and ETag = BLAKE3).
  const contentTypeDifferences: ImportArchiveResult['contentTypeDifferences'] = [];
  let checked = 0;
  progress({ phase: 'checking', files: 0, totalFiles: todo.length, bytes: 0, totalBytes: 0 });
  await forEachConcurrent(todo, concurrency, async (f) => {
    const stats = await session.storage.stats(f.path, { signal });
    if (!stats) throw new ArchiveError('archive_import_mismatch', `${f.path} is missing on the homeserver right after it was written`);
    if (stats.size !== f.size)
      throw new ArchiveError('archive_import_mismatch', `${f.path} is ${stats.size} bytes on the homeserver, but ${f.size} in the archive`);
    if (stats.etag !== null && stats.etag !== quoted(f.hash)) {
      throw new ArchiveError(
        'archive_import_mismatch',
        `${f.path} has ETag ${stats.etag} on the homeserver, but its hash in the archive is ${f.hash}`,
      );
    }
    if (f.contentType !== null && stats.contentType !== f.contentType) {
      contentTypeDifferences.push({ path: f.path, archived: f.contentType, stored: stats.contentType });
    }
    checked++;
    progress({ phase: 'checking', files: checked, totalFiles: todo.length, bytes: 0, totalBytes: 0 });
  });

  let deleted = 0;
  if (options.prune) {
    const extra = [...existing].filter((p) => !wanted.has(p));
    progress({ phase: 'pruning', files: 0, totalFiles: extra.length, bytes: 0, totalBytes: 0 });
    await forEachConcurrent(extra, concurrency, async (path) => {
      try {
        await session.storage.delete(path, { signal });
      } catch (e) {
        if (!(e instanceof PubkyError && (e as { status?: number }).status === 404)) throw e;
      }
      deleted++;
      progress({ phase: 'pruning', files: deleted, totalFiles: extra.length, bytes: 0, totalBytes: 0 });
    });
  }
  contentTypeDifferences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { manifest, files: manifest.files.length, written, unchanged, deleted, bytes, contentTypeDifferences };
}
