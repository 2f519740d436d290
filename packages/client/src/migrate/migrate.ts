// Moving an account to another homeserver (issue "credible exit"): sign up on the new homeserver,
// make its tree identical to the old one (every file checked by its BLAKE3 hash), compare both trees
// in full, and only then switch the user's `_pubky` record. Nothing is kept between runs: a rerun
// reads both trees again and copies only what is missing or different, so an interrupted migration
// (process killed, a server down) continues where it stopped.
import { PublicKey } from '@pubky-ts/common';
import { mirrorsOf } from '@pubky-ts/pkarr';
import { ClientError, PubkyHttpError } from '../errors.ts';
import { addMirror, removeMirror } from '../mirror-admin.ts';
import { homeserverFromPacket } from '../pkdns.ts';
import type { AccountSigner, PubkyInternals } from '../internals.ts';
import type { Session } from '../session.ts';
import { copyFile } from './copy.ts';
import { diffTrees, forEachConcurrent, readTree, treeSummary, type Tree } from '../tree.ts';

export type MigrationPhase = 'connecting' | 'scanning' | 'copying' | 'verifying' | 'switching' | 'done';

export interface MigrationProgress {
  phase: MigrationPhase;
  /** Files of the old tree, once scanned. */
  filesTotal: number;
  /** Files identical on the new homeserver (already there, or copied in this run). */
  filesDone: number;
  bytesTotal: number;
  bytesDone: number;
  /** Bytes copied in this run (the transfer rate is based on these). */
  bytesCopied: number;
  /** Estimated milliseconds left in the copy phase, or null before there is a rate. */
  etaMs: number | null;
}

export interface MigrateOptions {
  /** The homeserver to move to. */
  to: PublicKey | string;
  /** A signup token, when the new homeserver requires one. */
  signupToken?: string | null;
  /** Requests in flight (default 8). */
  concurrency?: number;
  /** Called on every phase change and, while copying, at most every `progressIntervalMs`. */
  onProgress?: (p: MigrationProgress) => void;
  progressIntervalMs?: number;
  /** Rounds of copy-and-compare before giving up when the old tree keeps changing (default 3). */
  maxRounds?: number;
  signal?: AbortSignal;
}

export interface MigrationReport {
  user: PublicKey;
  from: PublicKey;
  to: PublicKey;
  files: number;
  bytes: number;
  /** Files copied in this run (the rest were already identical on the new homeserver). */
  copied: number;
  copiedBytes: number;
  /** Files removed from the new homeserver because the old one does not have them. */
  removed: number;
  /** The record already pointed to `to` before this run: nothing was copied or switched. */
  alreadyMoved: boolean;
  /** Mirrors of the account, now following the new homeserver (`to` itself stops being one). */
  mirrors: PublicKey[];
  /** Mirrors that could not be re-pointed (they still follow the old homeserver): re-add them. */
  mirrorErrors: Array<{ mirror: PublicKey; error: string }>;
  durationMs: number;
}

/** Where the user's record points now, and their mirrors, read past every cache (a previous run may have switched it). */
async function currentRecord(
  pubky: PubkyInternals,
  user: PublicKey,
  signal?: AbortSignal,
): Promise<{ homeserver: PublicKey; mirrors: PublicKey[] }> {
  const packet = await pubky.pkdns.source.resolve(user, { fresh: true, signal });
  const hs = packet ? homeserverFromPacket(packet) : null;
  if (!packet || !hs) {
    throw new ClientError('homeserver_not_found', `${user.z32} has no _pubky record naming a homeserver: there is nothing to migrate from`);
  }
  return { homeserver: hs, mirrors: mirrorsOf(packet) };
}

/** Progress as the caller sees it: every phase change, and while copying at most every `intervalMs`. */
class ProgressReporter {
  readonly progress: MigrationProgress = {
    phase: 'connecting',
    filesTotal: 0,
    filesDone: 0,
    bytesTotal: 0,
    bytesDone: 0,
    bytesCopied: 0,
    etaMs: null,
  };
  private last = -Infinity;
  private copyStarted = performance.now();

  constructor(
    private readonly onProgress: ((p: MigrationProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  report(force = false): void {
    const now = performance.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    const p = this.progress;
    if (p.phase === 'copying' && p.bytesCopied > 0) {
      const rate = p.bytesCopied / Math.max(1, now - this.copyStarted);
      p.etaMs = Math.round((p.bytesTotal - p.bytesDone) / rate);
    }
    this.onProgress?.({ ...p });
  }

  phase(phase: MigrationPhase): void {
    this.progress.phase = phase;
    if (phase === 'copying') {
      this.copyStarted = performance.now();
      this.progress.bytesCopied = 0;
    }
    this.report(true);
  }
}

interface SyncResult {
  /** The source tree as last read (identical to the destination's). */
  source: Tree;
  copied: number;
  copiedBytes: number;
  removed: number;
}

/**
 * Copies and removes until a full read of both trees finds them identical; more than `maxRounds`
 * rounds that still differ is `migration_incomplete` (something keeps writing to the old one).
 */
async function syncTrees(
  oldSession: Session,
  newSession: Session,
  reporter: ProgressReporter,
  options: { concurrency: number; maxRounds: number; signal?: AbortSignal },
): Promise<SyncResult> {
  const { concurrency, maxRounds, signal } = options;
  const progress = reporter.progress;
  const out: SyncResult = { source: new Map(), copied: 0, copiedBytes: 0, removed: 0 };
  for (let round = 1; ; round++) {
    reporter.phase(round === 1 ? 'scanning' : 'verifying');
    const [src, dst] = await Promise.all([readTree(oldSession, { concurrency, signal }), readTree(newSession, { concurrency, signal })]);
    out.source = src;
    const diff = diffTrees(src, dst);
    const totals = treeSummary(src);
    progress.filesTotal = totals.files;
    progress.bytesTotal = totals.bytes;
    progress.filesDone = diff.same;
    progress.bytesDone = totals.bytes - diff.copy.reduce((n, f) => n + f.size, 0);
    if (diff.copy.length === 0 && diff.remove.length === 0) return out;
    if (round > maxRounds) {
      throw new ClientError(
        'migration_incomplete',
        `the trees still differ after ${maxRounds} rounds (${diff.copy.length} files to copy, ${diff.remove.length} to remove): is something still writing to the old homeserver? Nothing was switched; run the migration again`,
      );
    }
    reporter.phase('copying');
    const onBytes = (n: number) => {
      progress.bytesCopied += n;
      progress.bytesDone += n;
      reporter.report();
    };
    await forEachConcurrent(
      diff.copy,
      concurrency,
      async (file) => {
        await copyFile(oldSession.storage, newSession.storage, file, { signal, onBytes });
        out.copied++;
        out.copiedBytes += file.size;
        progress.filesDone++;
        reporter.report();
      },
      signal,
    );
    await forEachConcurrent(
      diff.remove,
      concurrency,
      async (path) => {
        try {
          await newSession.storage.delete(path, { signal });
        } catch (e) {
          if (!(e instanceof PubkyHttpError && e.status === 404)) throw e;
        }
        out.removed++;
      },
      signal,
    );
  }
}

/** Moves the signer's account to `options.to`. See the module comment for the guarantees. */
export async function migrateAccount(pubky: PubkyInternals, signer: AccountSigner, options: MigrateOptions): Promise<MigrationReport> {
  const started = performance.now();
  const to = typeof options.to === 'string' ? PublicKey.parse(options.to) : options.to;
  const user = signer.publicKey;
  const signal = options.signal;
  const reporter = new ProgressReporter(options.onProgress, options.progressIntervalMs ?? 250);
  reporter.phase('connecting');
  const record = await currentRecord(pubky, user, signal);
  const from = record.homeserver;
  const base = { user, from, to, files: 0, bytes: 0, copied: 0, copiedBytes: 0, removed: 0, mirrors: record.mirrors, mirrorErrors: [] };
  if (from.equals(to)) {
    reporter.phase('done');
    return { ...base, alreadyMoved: true, durationMs: performance.now() - started };
  }
  const oldSession = await signer.signinAt(from, { signal });
  const newSession = await signer.sessionAt(to, { signupToken: options.signupToken, signal });
  const sync = await syncTrees(oldSession, newSession, reporter, {
    concurrency: options.concurrency ?? 8,
    maxRounds: options.maxRounds ?? 3,
    signal,
  });

  // Both trees were just read in full and are identical: switch the record.
  reporter.phase('switching');
  await signer.publishHomeserver(to, { signal });
  const mirrorErrors = await repointMirrors(pubky, signer, record.mirrors, to, newSession, signal);
  reporter.phase('done');
  const totals = treeSummary(sync.source);
  return {
    ...base,
    files: totals.files,
    bytes: totals.bytes,
    copied: sync.copied,
    copiedBytes: sync.copiedBytes,
    removed: sync.removed,
    alreadyMoved: false,
    mirrors: record.mirrors.filter((m) => !m.equals(to)),
    mirrorErrors,
    durationMs: performance.now() - started,
  };
}

/**
 * After the switch: the new homeserver stops mirroring the user (when it was a mirror), and every
 * other mirror is told to follow the new homeserver (`PUT /mirror` with a fresh grant). Failures are
 * reported, not thrown: the move itself is done.
 */
async function repointMirrors(
  pubky: PubkyInternals,
  signer: AccountSigner,
  mirrors: PublicKey[],
  to: PublicKey,
  newSession: Session,
  signal?: AbortSignal,
): Promise<Array<{ mirror: PublicKey; error: string }>> {
  const errors: Array<{ mirror: PublicKey; error: string }> = [];
  for (const mirror of mirrors) {
    try {
      if (mirror.equals(to)) await removeMirror(pubky, signer, mirror, { session: newSession, signal });
      else await addMirror(pubky, signer, mirror, { signal });
    } catch (e) {
      errors.push({ mirror, error: (e as Error).message });
    }
  }
  return errors;
}
