import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { runMigrations } from './migrate.ts';
import { migrations } from './migrations/index.ts';

export type { Database };

export interface OpenDatabaseOptions {
  /** 'normal': WAL + synchronous=NORMAL (an OS crash may lose the last commits, a process crash loses
   *  nothing); 'fsync': synchronous=FULL (every commit is on disk when acknowledged). */
  durability?: 'normal' | 'fsync';
  /** How long a writer waits for another process's write lock (ms). */
  busyTimeoutMs?: number;
}

/** Opens (creating if needed) the homeserver database and brings its schema up to date. */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const db = new BetterSqlite3(file);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Listings and event reads touch many small rows; a larger page cache keeps indexes hot.
    db.pragma('cache_size = -32000');
    db.pragma('temp_store = MEMORY');
    runMigrations(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
