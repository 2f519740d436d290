// A user's whole tree on one homeserver, as the owner's session sees it: every file under `/pub/` and
// `/priv/` with its size, BLAKE3 hash (from the ETag) and content type. Built from the plain storage
// API (deep listings + HEAD), so it works against any homeserver, the reference included. Used by
// migration (`migrate/`) and account archives (`archive/`).
import { hashFromEtag } from '@pubky-ts/common';
import { ClientError, PubkyHttpError } from './errors.ts';
import type { Session } from './session.ts';
import type { SessionStorage } from './storage.ts';

export const TREE_ROOTS = ['/pub/', '/priv/'] as const;

export interface TreeFile {
  /** Canonical storage path, e.g. `/pub/app/a.json`. */
  path: string;
  size: number;
  /** Standard base64 of the content's BLAKE3 hash (what the quoted ETag holds). */
  hash: string;
  contentType: string | null;
}

/** path → file, in the listing's byte order. */
export type Tree = Map<string, TreeFile>;

/**
 * Every file path of the session's user, under `/pub/` then `/priv/` (deep listings, page by page).
 * A missing directory is empty; a listing line outside the user's tree is an error.
 */
export async function listFiles(session: Session, signal?: AbortSignal): Promise<string[]> {
  const prefix = `pubky://${session.publicKey.z32}/`;
  const out: string[] = [];
  for (const root of TREE_ROOTS) {
    try {
      for await (const url of session.storage.listAll(root, { limit: 1000, signal })) {
        if (!url.startsWith(prefix))
          throw new ClientError('invalid_response', `the listing of ${root} holds ${url.slice(0, 120)}, outside the user's tree`);
        const path = url.slice(prefix.length - 1);
        if (!path.endsWith('/')) out.push(path);
      }
    } catch (e) {
      if (!(e instanceof PubkyHttpError && e.status === 404)) throw e;
    }
  }
  return out;
}

/** Runs `work` over `items` with at most `concurrency` in flight; the first failure stops the rest. */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const it = items[Symbol.iterator]();
  let index = 0;
  let failed: unknown = null;
  const worker = async () => {
    for (;;) {
      if (failed !== null || signal?.aborted) return;
      const next = it.next();
      if (next.done) return;
      try {
        await work(next.value, index++);
      } catch (e) {
        failed ??= e;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failed !== null) throw failed;
  signal?.throwIfAborted();
}

/** The stats of one file (null when it is gone); a file without a BLAKE3 ETag is an error. */
export async function statFile(storage: SessionStorage, path: string, signal?: AbortSignal): Promise<TreeFile | null> {
  const stats = await storage.stats(path, { signal });
  if (!stats) return null;
  const hash = hashFromEtag(stats.etag);
  if (!hash) {
    throw new ClientError(
      'invalid_response',
      `the homeserver gave ${path} no BLAKE3 ETag (got ${JSON.stringify(stats.etag)}), so its content cannot be verified`,
    );
  }
  return { path, size: stats.size, hash, contentType: stats.contentType };
}

/**
 * Lists and stats the whole tree. `onFile` sees each file as it is statted (for progress). Files that
 * disappear between the listing and their HEAD are left out.
 */
export async function readTree(
  session: Session,
  options: { concurrency?: number; signal?: AbortSignal; onFile?: (file: TreeFile) => void } = {},
): Promise<Tree> {
  const storage = session.storage;
  const paths = await listFiles(session, options.signal);
  const found = new Map<string, TreeFile>();
  await forEachConcurrent(
    paths,
    options.concurrency ?? 16,
    async (path) => {
      const file = await statFile(storage, path, options.signal);
      if (!file) return;
      found.set(path, file);
      options.onFile?.(file);
    },
    options.signal,
  );
  // Keep listing order (byte order), not completion order.
  const tree: Tree = new Map();
  for (const p of paths) {
    const f = found.get(p);
    if (f) tree.set(p, f);
  }
  return tree;
}

export interface TreeDiff {
  /** Files missing on the target or with another hash there. */
  copy: TreeFile[];
  /** Paths on the target that the source does not have. */
  remove: string[];
  /** Files already identical on both sides. */
  same: number;
}

/** What it takes to make `target` identical to `source`. */
export function diffTrees(source: Tree, target: Tree): TreeDiff {
  const copy: TreeFile[] = [];
  let same = 0;
  for (const file of source.values()) {
    const there = target.get(file.path);
    if (there && there.hash === file.hash && there.size === file.size) same++;
    else copy.push(file);
  }
  const remove = [...target.keys()].filter((p) => !source.has(p));
  return { copy, remove, same };
}

/** Totals of a tree: files and bytes. */
export function treeSummary(tree: Tree): { files: number; bytes: number } {
  let bytes = 0;
  for (const f of tree.values()) bytes += f.size;
  return { files: tree.size, bytes };
}
