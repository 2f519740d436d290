// Export: a user's whole tree (/pub/ and /priv/) as one signed ustar archive, streamed to a
// WritableStream. Files are listed, their size, hash (ETag) and type read with HEAD, the manifest is
// signed and written first, then each distinct content once, hashed again as it streams through.
import { blake3, bytesToHex, createBlake3, hashFromEtag, Keypair, PubkyError, toAsyncIterable } from '@pubky-ts/common';
import { abortedError, ClientError, PubkyHttpError } from '../errors.ts';
import type { Session } from '../session.ts';
import type { Signer } from '../signer.ts';
import { forEachConcurrent, listFiles } from '../tree.ts';
import { ArchiveError } from './errors.ts';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  blobEntryName,
  comparePaths,
  CONTENT_TYPE_RE,
  encodeManifest,
  hashToHex,
  hexToHash,
  MANIFEST_ENTRY,
  MAX_MANIFEST_BYTES,
  SIGNATURE_ENTRY,
  signManifest,
  validateManifest,
  type ArchiveFile,
  type ArchiveManifest,
} from './manifest.ts';
import type { ArchiveProgress } from './progress.ts';
import { END_OF_ARCHIVE, MAX_ENTRY_SIZE, padding, tarHeader } from './tar.ts';

export interface ExportArchiveOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ArchiveProgress) => void;
  /** Requests in flight while scanning (HEAD) and fetching small files. Default 8. */
  concurrency?: number;
}

export interface ExportArchiveResult {
  manifest: ArchiveManifest;
  /** Files in the archive. */
  files: number;
  /** Distinct contents stored. */
  blobs: number;
  /** Bytes of the distinct contents. */
  bytes: number;
  /** Bytes written to the output (the archive's length). */
  archiveBytes: number;
}

/** Files up to this size are fetched whole, several at a time; larger ones stream one by one. */
const SMALL_FILE = 1024 * 1024;
const WRITE_BUFFER = 256 * 1024;

/** Coalesces small writes (tar headers, small files) into larger chunks for the output. */
class ArchiveSink {
  written = 0;
  private buffer = new Uint8Array(WRITE_BUFFER);
  private length = 0;
  constructor(private readonly writer: WritableStreamDefaultWriter<Uint8Array>) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.written += bytes.length;
    if (this.length + bytes.length <= WRITE_BUFFER) {
      this.buffer.set(bytes, this.length);
      this.length += bytes.length;
      return;
    }
    await this.flush();
    if (bytes.length >= WRITE_BUFFER / 2) {
      await this.writer.ready;
      await this.writer.write(bytes.slice());
    } else {
      this.buffer.set(bytes, 0);
      this.length = bytes.length;
    }
  }

  async flush(): Promise<void> {
    if (this.length === 0) return;
    const out = this.buffer.slice(0, this.length);
    this.length = 0;
    await this.writer.ready;
    await this.writer.write(out);
  }
}

function keypairOf(key: Keypair | Signer): Keypair {
  if (key instanceof Keypair) return key;
  if (key && (key as Signer).keypair instanceof Keypair) return (key as Signer).keypair;
  throw new ClientError('invalid_argument', 'exportArchive needs the user’s Keypair or Signer to sign the manifest');
}

function changed(path: string, why: string): ArchiveError {
  return new ArchiveError(
    'archive_source_changed',
    `${path} changed on the homeserver while it was being exported (${why}); run the export again`,
  );
}

/**
 * Writes the session user's whole tree (`/pub/` and `/priv/`) to `output` as a signed archive and
 * closes it; on failure the output is aborted. `key` signs the manifest and must be the session's
 * user. Memory stays bounded whatever the file sizes: large files are streamed through.
 *
 * In Node, write to a file with `Writable.toWeb(fs.createWriteStream(path))`.
 */
export async function exportArchive(
  session: Session,
  key: Keypair | Signer,
  output: WritableStream<Uint8Array>,
  options: ExportArchiveOptions = {},
): Promise<ExportArchiveResult> {
  const keypair = keypairOf(key);
  if (!keypair.publicKey.equals(session.publicKey)) {
    throw new ClientError(
      'invalid_argument',
      `the archive of ${session.publicKey.z32} must be signed by that user's key, not ${keypair.publicKey.z32}`,
    );
  }
  // The caller's signal only: a combined signal would gather one listener per request.
  const { signal } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const progress = options.onProgress ?? (() => {});
  const writer = output.getWriter();
  const sink = new ArchiveSink(writer);
  try {
    const createdAt = new Date();
    // 1. What is there.
    progress({ phase: 'listing', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 });
    const paths = (await listFiles(session, signal)).sort(comparePaths);
    if (signal?.aborted) throw abortedError(signal);

    // 2. Size, hash and type of each (HEAD; a file without an ETag is hashed by reading it).
    const files = await scanFiles(session, paths, concurrency, progress, signal);

    // 3. The signed manifest, first in the archive.
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      user: session.publicKey.z32,
      createdAt: createdAt.toISOString(),
      source: session.homeserver.z32,
      files,
    };
    const mtime = createdAt.getTime() / 1000;
    await writeManifest(sink, manifest, keypair, mtime);

    // 4. Each distinct content once, in manifest order, re-hashed as it passes.
    const { blobs, totalBytes } = distinctBlobs(files);
    await writeBlobs(sink, session, blobs, totalBytes, { concurrency, progress, mtime, signal });
    await sink.write(END_OF_ARCHIVE);
    await sink.flush();
    await writer.close();
    return { manifest, files: files.length, blobs: blobs.length, bytes: totalBytes, archiveBytes: sink.written };
  } catch (e) {
    const err = signal?.aborted && !(e instanceof PubkyError) ? abortedError(signal) : e;
    await writer.abort(err).catch(() => {});
    throw err;
  } finally {
    writer.releaseLock();
  }
}

type Progress = (progress: ArchiveProgress) => void;

/** The snapshot's files (size, hash, type), HEAD by HEAD; a file deleted since the listing is left out. */
async function scanFiles(
  session: Session,
  paths: string[],
  concurrency: number,
  progress: Progress,
  signal: AbortSignal | undefined,
): Promise<ArchiveFile[]> {
  const found: Array<ArchiveFile | null> = new Array(paths.length).fill(null);
  let scanned = 0;
  progress({ phase: 'scanning', files: 0, totalFiles: paths.length, bytes: 0, totalBytes: 0 });
  await forEachConcurrent(paths, concurrency, async (path, i) => {
    const stats = await session.storage.stats(path, { signal });
    scanned++;
    if (stats) {
      if (stats.size > MAX_ENTRY_SIZE)
        throw new ArchiveError('archive_too_large', `${path} is ${stats.size} bytes; an archive holds files up to ${MAX_ENTRY_SIZE} bytes`);
      const hash = hashFromEtag(stats.etag) ?? (await hashRemote(session, path, signal));
      // A type the manifest cannot carry (not printable ASCII, over 255 characters) is left out.
      const contentType = stats.contentType !== null && CONTENT_TYPE_RE.test(stats.contentType) ? stats.contentType : null;
      found[i] = { path, size: stats.size, hash, contentType };
    }
    progress({ phase: 'scanning', files: scanned, totalFiles: paths.length, bytes: 0, totalBytes: 0 });
  });
  return found.filter((f): f is ArchiveFile => f !== null);
}

/** manifest.json and manifest.sig, the archive's first two entries. */
async function writeManifest(sink: ArchiveSink, manifest: ArchiveManifest, keypair: Keypair, mtime: number): Promise<void> {
  // What import will demand of it (canonical paths under /pub/ and /priv/, order, sizes…).
  validateManifest(manifest as unknown as Record<string, unknown>);
  const manifestBytes = encodeManifest(manifest);
  if (manifestBytes.length > MAX_MANIFEST_BYTES)
    throw new ArchiveError(
      'archive_too_large',
      `the manifest would be ${manifestBytes.length} bytes; at most ${MAX_MANIFEST_BYTES} are supported`,
    );
  await sink.write(tarHeader(MANIFEST_ENTRY, manifestBytes.length, mtime));
  await sink.write(manifestBytes);
  await sink.write(padding(manifestBytes.length));
  const signature = signManifest(manifestBytes, keypair);
  await sink.write(tarHeader(SIGNATURE_ENTRY, signature.length, mtime));
  await sink.write(signature);
  await sink.write(padding(signature.length));
}

/** Each content once (the first file that holds it), in manifest order. */
function distinctBlobs(files: ArchiveFile[]): { blobs: ArchiveFile[]; totalBytes: number } {
  const blobs: ArchiveFile[] = [];
  const seen = new Set<string>();
  let totalBytes = 0;
  for (const f of files) {
    if (seen.has(f.hash)) continue;
    seen.add(f.hash);
    blobs.push(f);
    totalBytes += f.size;
  }
  return { blobs, totalBytes };
}

/**
 * The blob entries: small files fetched ahead (up to `concurrency` of at most SMALL_FILE bytes in
 * flight), large ones streamed through; each re-hashed as it passes, so a file changed since the
 * scan fails the export instead of contradicting the manifest.
 */
async function writeBlobs(
  sink: ArchiveSink,
  session: Session,
  blobs: ArchiveFile[],
  totalBytes: number,
  options: { concurrency: number; progress: Progress; mtime: number; signal: AbortSignal | undefined },
): Promise<void> {
  const { concurrency, progress, mtime, signal } = options;
  let written = 0;
  let done = 0;
  const report = () => progress({ phase: 'writing', files: done, totalFiles: blobs.length, bytes: written, totalBytes });
  report();
  const prefetched = new Map<number, Promise<Uint8Array>>();
  let prefetchedUpTo = 0;
  const prefetch = (from: number) => {
    prefetchedUpTo = Math.max(prefetchedUpTo, from);
    while (prefetchedUpTo < blobs.length && prefetched.size < concurrency) {
      const j = prefetchedUpTo;
      if (blobs[j].size > SMALL_FILE) break;
      const p = session.storage.getBytes(blobs[j].path, { signal });
      p.catch(() => {});
      prefetched.set(j, p);
      prefetchedUpTo++;
    }
  };
  for (const [i, blob] of blobs.entries()) {
    prefetch(i);
    await sink.write(tarHeader(blobEntryName(blob.hash), blob.size, mtime));
    const small = prefetched.get(i);
    if (small) {
      prefetched.delete(i);
      const bytes = await fetchOrChanged(small, blob.path);
      if (bytes.length !== blob.size) throw changed(blob.path, `it is now ${bytes.length} bytes, not ${blob.size}`);
      const hex = bytesToHex(await blake3(bytes));
      if (hex !== hashToHex(blob.hash)) throw changed(blob.path, `its BLAKE3 is now ${hexToHash(hex)}`);
      await sink.write(bytes);
      written += bytes.length;
    } else {
      await streamBlob(sink, session, blob, signal, (n) => {
        written += n;
        report();
      });
    }
    await sink.write(padding(blob.size));
    done++;
    report();
  }
}

/** Streams one large blob into the archive, hashing it; `onChunk` sees each chunk's length. */
async function streamBlob(
  sink: ArchiveSink,
  session: Session,
  blob: ArchiveFile,
  signal: AbortSignal | undefined,
  onChunk: (n: number) => void,
): Promise<void> {
  const stream = await fetchOrChanged(session.storage.getStream(blob.path, { signal }), blob.path);
  const hasher = await createBlake3();
  let n = 0;
  for await (const chunk of toAsyncIterable(stream)) {
    n += chunk.length;
    if (n > blob.size) throw changed(blob.path, `it is now longer than ${blob.size} bytes`);
    hasher.update(chunk);
    await sink.write(chunk);
    onChunk(chunk.length);
  }
  if (n !== blob.size) throw changed(blob.path, `it is now ${n} bytes, not ${blob.size}`);
  const hex = bytesToHex(hasher.digest());
  if (hex !== hashToHex(blob.hash)) throw changed(blob.path, `its BLAKE3 is now ${hexToHash(hex)}`);
}

async function fetchOrChanged<T>(request: Promise<T>, path: string): Promise<T> {
  try {
    return await request;
  } catch (e) {
    if (e instanceof PubkyHttpError && e.status === 404) throw changed(path, 'it was deleted');
    throw e;
  }
}

/** The base64 BLAKE3 of a remote file, read through (when HEAD gave no usable ETag). */
async function hashRemote(session: Session, path: string, signal: AbortSignal | undefined): Promise<string> {
  const hasher = await createBlake3();
  for await (const chunk of toAsyncIterable(await session.storage.getStream(path, { signal }))) hasher.update(chunk);
  return hexToHash(bytesToHex(hasher.digest()));
}
