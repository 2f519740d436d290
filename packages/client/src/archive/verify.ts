// Reading an archive: the tar structure, the manifest and its signature, then every blob hashed as
// it streams by. Nothing is buffered beyond the manifest.
import { blake3, bytesToHex, createBlake3, PubkyError } from '@pubky-ts/common';
import { abortedError } from '../errors.ts';
import { ArchiveError } from './errors.ts';
import {
  BLOB_PREFIX,
  hashToHex,
  MANIFEST_ENTRY,
  manifestUser,
  MAX_MANIFEST_BYTES,
  parseManifestJson,
  SIGNATURE_ENTRY,
  validateManifest,
  verifyManifestSignature,
  type ArchiveManifest,
} from './manifest.ts';
import { ByteReader, TarReader } from './tar.ts';
import type { ArchiveProgress } from './progress.ts';

/** An archive: a `Blob` (a browser `File`, or Node's `fs.openAsBlob(path)`) or bytes in memory. */
export type ArchiveSource = Blob | Uint8Array;

export interface VerifyArchiveOptions {
  signal?: AbortSignal;
  /** Refuse (`archive_wrong_user`) an archive of any other user, right after reading its manifest. */
  expectedUser?: string;
  onProgress?: (progress: ArchiveProgress) => void;
}

const ONE_SHOT_HASH = 1024 * 1024;

/** Where one content's bytes lie in the archive. */
export interface ArchiveBlob {
  /** Hex BLAKE3 (the entry name). */
  hex: string;
  offset: number;
  size: number;
}

export interface VerifiedArchive {
  manifest: ArchiveManifest;
  /** The exact bytes of manifest.json (what the signature covers). */
  manifestBytes: Uint8Array;
  /** Each distinct content, by hex BLAKE3. */
  blobs: Map<string, ArchiveBlob>;
  /** The archive's length in bytes. */
  archiveBytes: number;
}

export function toBlob(source: ArchiveSource): Blob {
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source;
  if (source instanceof Uint8Array) return new Blob([source as Uint8Array<ArrayBuffer>]);
  throw new ArchiveError('archive_invalid', 'an archive is a Blob (a File, or fs.openAsBlob in Node) or a Uint8Array');
}

function streamOf(blob: Blob): AsyncIterator<Uint8Array> {
  const reader = blob.stream().getReader();
  return {
    async next() {
      const r = await reader.read();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    },
    async return() {
      await reader.cancel().catch(() => {});
      return { done: true, value: undefined };
    },
  };
}

function fromSourceError(e: unknown): unknown {
  if (e instanceof PubkyError) return e;
  // A file that changed or vanished under a Node Blob reads as NotReadableError.
  return new ArchiveError('archive_invalid', `the archive could not be read: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

async function readHead(tar: TarReader): Promise<{ manifest: ArchiveManifest; manifestBytes: Uint8Array }> {
  const first = await tar.next();
  if (!first || first.name !== MANIFEST_ENTRY) {
    throw new ArchiveError(
      'archive_invalid',
      `not a pubky archive: the first entry is ${first ? JSON.stringify(first.name) : 'missing'}, not ${MANIFEST_ENTRY}`,
    );
  }
  if (first.size > MAX_MANIFEST_BYTES)
    throw new ArchiveError('archive_too_large', `the manifest is ${first.size} bytes; at most ${MAX_MANIFEST_BYTES} are read`);
  const manifestBytes = await tar.readAll();
  const second = await tar.next();
  if (!second || second.name !== SIGNATURE_ENTRY) {
    throw new ArchiveError(
      'archive_signature_invalid',
      `the archive signature is missing: the second entry is ${second ? JSON.stringify(second.name) : 'missing'}, not ${SIGNATURE_ENTRY}`,
    );
  }
  if (second.size > 1024)
    throw new ArchiveError('archive_signature_invalid', `the archive signature is invalid: manifest.sig is ${second.size} bytes`);
  const signature = await tar.readAll();
  const json = parseManifestJson(manifestBytes);
  verifyManifestSignature(manifestBytes, signature, manifestUser(json));
  return { manifest: validateManifest(json), manifestBytes };
}

/** Reads only the manifest and checks its signature (fast: the blobs are not read). */
export async function readArchiveManifest(source: ArchiveSource, options: { signal?: AbortSignal } = {}): Promise<ArchiveManifest> {
  const tar = new TarReader(new ByteReader(streamOf(toBlob(source))));
  try {
    if (options.signal?.aborted) throw abortedError(options.signal);
    return (await readHead(tar)).manifest;
  } catch (e) {
    throw fromSourceError(e);
  } finally {
    await tar.close();
  }
}

/**
 * Checks a whole archive: tar structure, manifest schema, the signature by `manifest.user`, that every
 * content the manifest names is there exactly once with its size and BLAKE3 hash, and that nothing
 * else is. Any failure is an `ArchiveError` whose code and message say what is wrong and where.
 */
export async function verifyArchive(source: ArchiveSource, options: VerifyArchiveOptions = {}): Promise<VerifiedArchive> {
  const blob = toBlob(source);
  const tar = new TarReader(new ByteReader(streamOf(blob)));
  const { signal, onProgress } = options;
  try {
    if (signal?.aborted) throw abortedError(signal);
    const { manifest, manifestBytes } = await readHead(tar);
    if (options.expectedUser !== undefined && manifest.user !== options.expectedUser) {
      throw new ArchiveError(
        'archive_wrong_user',
        `the archive holds the tree of ${manifest.user}, but the session is ${options.expectedUser}; sign in as that user to import it`,
      );
    }
    // What the manifest expects: hex hash → size and the paths holding it.
    const expected = new Map<string, { size: number; paths: string[] }>();
    let totalBytes = 0;
    for (const f of manifest.files) {
      const hex = hashToHex(f.hash);
      const e = expected.get(hex);
      if (e) e.paths.push(f.path);
      else {
        expected.set(hex, { size: f.size, paths: [f.path] });
        totalBytes += f.size;
      }
    }
    const describe = (hex: string) => {
      const paths = expected.get(hex)!.paths;
      return paths.length === 1 ? paths[0] : `${paths[0]} (and ${paths.length - 1} more)`;
    };
    const blobs = new Map<string, ArchiveBlob>();
    let bytes = 0;
    const report = () => onProgress?.({ phase: 'verifying', files: blobs.size, totalFiles: expected.size, bytes, totalBytes });
    report();
    for (;;) {
      const entry = await tar.next();
      if (!entry) break;
      if (signal?.aborted) throw abortedError(signal);
      const hex = entry.name.startsWith(BLOB_PREFIX) ? entry.name.slice(BLOB_PREFIX.length) : '';
      if (!/^[0-9a-f]{64}$/.test(hex)) {
        throw new ArchiveError(
          'archive_invalid',
          `not a pubky archive: unexpected entry ${JSON.stringify(entry.name)} at byte ${entry.headerOffset}`,
        );
      }
      const want = expected.get(hex);
      if (!want)
        throw new ArchiveError(
          'archive_unreferenced_entry',
          `the archive holds ${entry.name} (at byte ${entry.headerOffset}), which the manifest does not name`,
        );
      if (blobs.has(hex))
        throw new ArchiveError('archive_duplicate_entry', `the archive holds ${entry.name} twice (again at byte ${entry.headerOffset})`);
      if (entry.size !== want.size) {
        throw new ArchiveError(
          'archive_size_mismatch',
          `the content of ${describe(hex)} is ${entry.size} bytes in the archive, but the manifest says ${want.size}`,
        );
      }
      let digest: Uint8Array;
      if (entry.size <= ONE_SHOT_HASH) {
        // Small contents hash in one call (an incremental hasher costs a WASM instance each).
        digest = await blake3(await tar.readAll());
        bytes += entry.size;
        report();
      } else {
        const hasher = await createBlake3();
        for await (const chunk of tar.data()) {
          hasher.update(chunk);
          bytes += chunk.length;
          report();
        }
        digest = hasher.digest();
      }
      const got = bytesToHex(digest);
      if (got !== hex) {
        throw new ArchiveError(
          'archive_hash_mismatch',
          `the content of ${describe(hex)} (${entry.name} at byte ${entry.dataOffset}) does not match its hash: its BLAKE3 is ${got}`,
        );
      }
      blobs.set(hex, { hex, offset: entry.dataOffset, size: entry.size });
    }
    for (const [hex] of expected) {
      if (!blobs.has(hex))
        throw new ArchiveError('archive_missing_blob', `the archive lacks the content of ${describe(hex)} (${BLOB_PREFIX}${hex})`);
    }
    report();
    return { manifest, manifestBytes, blobs, archiveBytes: tar.offset };
  } catch (e) {
    throw fromSourceError(e);
  } finally {
    await tar.close();
  }
}
