import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { BackgroundCheckpointer } from '../db/checkpointer.ts';
import { openDatabase } from '../db/sqlite.ts';
import { SqliteMirrorStore } from '../mirror/sqlite-mirror-store.ts';
import { BlobStore } from './blob-store.ts';
import { LocalBus } from './bus.ts';
import { fileStoreChain } from './file-store-chain.ts';
import type { PathPolicyFileStore } from './path-policy.ts';
import { BlobRefs } from './sqlite/blob-refs.ts';
import type { SqliteContext } from './sqlite/context.ts';
import { FileWriter } from './sqlite/file-writer.ts';
import { RowCaches } from './sqlite/row-cache.ts';
import { SqliteEventStore } from './sqlite/event-store.ts';
import { SqliteFileStore } from './sqlite/file-store.ts';
import { SqliteGrantStore } from './sqlite/grant-store.ts';
import { SqliteReplayGuard } from './sqlite/replay-guard.ts';
import { SqliteCookieSessionStore } from './sqlite/session-store.ts';
import { SqliteSignupTokenStore } from './sqlite/signup-token-store.ts';
import { SqliteUserPacketStore } from './sqlite/user-packet-store.ts';
import { SqliteUserStore } from './sqlite/user-store.ts';
import type { HomeserverStore, HomeserverStoreOptions, Revocation, StoredEvent } from './types.ts';

/**
 * Contents up to this size live inline in SQLite; larger ones become blob files. Measured with
 * `benchmarks/homeserver-storage.ts` (2 shared cores): inline vs file PUT/s was 7.6× at 1 KiB,
 * 2.5× at 32 KiB, 1.2–1.8× at 64 KiB, 0.9× at 128 KiB and 0.6× at 256 KiB; GET/s favours inline at
 * every size (10× → 1.6×). 64 KiB is the largest size where both clearly win, and caps what one
 * upload holds in memory before it spills to a temp file.
 */
export const DEFAULT_INLINE_THRESHOLD = 64 * 1024;

export interface SqliteStoreExtras {
  /** `group` (default) or `single` (one transaction per write; the benchmark's baseline). */
  commitMode?: 'group' | 'single';
  /**
   * Start WAL checkpointing in a worker thread (see BackgroundCheckpointer) after this many group
   * commits (default 64, so short-lived stores in tests never start one); null = never.
   */
  backgroundCheckpointAfter?: number | null;
  /** Ids one window of a filtered or several-user event read spans (see SqliteEventStore.read). */
  eventScanWindow?: number;
  /** Per-user Merkle trees and versions (default false: see FileWriterOptions.versioning). */
  versioning?: boolean;
}

/** The embedded (SQLite + files) implementation of every store, built by plain constructor injection. */
export class SqliteHomeserverStore implements HomeserverStore {
  readonly users: SqliteUserStore;
  readonly signupTokens: SqliteSignupTokenStore;
  readonly sessions: SqliteCookieSessionStore;
  readonly grants: SqliteGrantStore;
  readonly authTokenReplay: SqliteReplayGuard;
  readonly files: PathPolicyFileStore;
  /** The bookkeeping layer without policy (tests, admin tools, benchmarks). */
  readonly rawFiles: SqliteFileStore;
  readonly events: SqliteEventStore;
  readonly packets: SqliteUserPacketStore;
  readonly revocations: LocalBus<Revocation>;
  readonly mirrors: SqliteMirrorStore;
  readonly singleProcess = true;
  readonly db: Database;
  /** Commits entry and event writes. */
  readonly writer: FileWriter;
  readonly blobs: BlobStore;
  /** Cached users and cookie sessions (coherent with the database; see RowCaches). */
  readonly caches: RowCaches;
  /** Orphan blob files removed at start-up (left by a crash between blob rename and commit). */
  readonly sweptBlobs: number;
  /** The WAL checkpointing worker, once started. */
  checkpointer: BackgroundCheckpointer | null = null;
  private closed = false;

  constructor(options: HomeserverStoreOptions & SqliteStoreExtras) {
    mkdirSync(options.dataDir, { recursive: true });
    const fsync = options.durability === 'fsync';
    this.db = openDatabase(join(options.dataDir, 'homeserver.sqlite'), { durability: options.durability });
    const checkpointAfter = options.backgroundCheckpointAfter === undefined ? 64 : options.backgroundCheckpointAfter;
    const onCommit =
      checkpointAfter === null
        ? undefined
        : (n: number) => {
            if (n >= checkpointAfter && !this.checkpointer && !this.closed) this.checkpointer = new BackgroundCheckpointer(this.db);
          };
    const defaultQuotaMb = options.defaultQuotaMb ?? null;
    const caches = new RowCaches(this.db);
    this.writer = new FileWriter(this.db, {
      defaultQuotaMb,
      commitMode: options.commitMode,
      onCommit,
      onUsersCommitted: (users) => caches.usersCommitted(users),
      versioning: options.versioning,
    });
    this.blobs = new BlobStore(join(options.dataDir, 'blobs'), { fsync });
    this.revocations = new LocalBus<Revocation>();
    const refs = new BlobRefs(this.db);
    const ctx: SqliteContext = {
      db: this.db,
      writer: this.writer,
      refs,
      blobs: this.blobs,
      eventBus: new LocalBus<StoredEvent>(),
      revocations: this.revocations,
      inlineThreshold: options.inlineThreshold ?? DEFAULT_INLINE_THRESHOLD,
      defaultQuotaMb,
      caches,
    };
    this.caches = ctx.caches;
    this.sweptBlobs = this.blobs.sweep(refs.isReferenced);
    this.users = new SqliteUserStore(ctx, refs);
    this.signupTokens = new SqliteSignupTokenStore(ctx);
    this.sessions = new SqliteCookieSessionStore(ctx);
    this.grants = new SqliteGrantStore(ctx);
    this.authTokenReplay = new SqliteReplayGuard(ctx);
    this.events = new SqliteEventStore(ctx, { scanWindow: options.eventScanWindow });
    this.packets = new SqliteUserPacketStore(ctx);
    this.mirrors = new SqliteMirrorStore(this.db);
    this.rawFiles = new SqliteFileStore(ctx);
    this.files = fileStoreChain(this.rawFiles, this.users, ctx.defaultQuotaMb);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    await this.checkpointer?.close();
    this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Opens the embedded store in `dataDir` (creating it), running pending migrations. */
export async function openHomeserverStore(options: HomeserverStoreOptions & SqliteStoreExtras): Promise<SqliteHomeserverStore> {
  return new SqliteHomeserverStore(options);
}
