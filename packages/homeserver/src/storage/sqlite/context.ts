import type { Database } from 'better-sqlite3';
import type { BlobStore } from '../blob-store.ts';
import type { BlobRefs } from './blob-refs.ts';
import type { LocalBus } from '../bus.ts';
import type { FileWriter } from './file-writer.ts';
import type { RowCaches } from './row-cache.ts';
import type { Revocation, StoredEvent } from '../types.ts';

/** What the SQLite-backed stores share (plain constructor injection, built by `openHomeserverStore`). */
export interface SqliteContext {
  db: Database;
  /** Commits entry and event writes (group commit). */
  writer: FileWriter;
  /** Blob reference counts as this connection reads them. */
  refs: BlobRefs;
  blobs: BlobStore;
  eventBus: LocalBus<StoredEvent>;
  revocations: LocalBus<Revocation>;
  inlineThreshold: number;
  defaultQuotaMb: number | null;
  /** Users by key and cookie sessions by secret, kept coherent with the database. */
  caches: RowCaches;
}
