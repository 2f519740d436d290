import type { Database } from 'better-sqlite3';
import type { CookieSessionRecord, FileEntry, UserRecord, AuthStamp } from '../types.ts';
import { authFingerprint } from './auth-fingerprint.ts';
import type { UserRow } from './user-row.ts';
import { quotaFromRow } from './quota-columns.ts';

export function userFromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    publicKey: row.public_key,
    disabled: row.disabled !== 0,
    usedBytes: row.used_bytes,
    createdAt: row.created_at,
    ...quotaFromRow(row),
  };
}

interface SessionRow {
  id: number;
  secret: string;
  public_key: string;
  capabilities: string;
  created_at: number;
}

const MAX_ENTRIES = 10_000;
/** Small inline files kept for reads: at most this many, and this many bytes in all. */
const MAX_FILES = 4096;
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_CACHED_FILE = 16 * 1024;
/** A small inline file as a read returns it (the entry is frozen; the bytes must not be written). */
export interface CachedFile {
  entry: FileEntry;
  inline: Uint8Array;
}

function freezeUser(u: UserRecord): UserRecord {
  if (u.allowedWritePaths) Object.freeze(u.allowedWritePaths);
  return Object.freeze(u);
}

/**
 * In-memory caches of `users` rows (by public key) and cookie sessions (by secret), the two
 * lookups every authenticated request makes. A cached record is never stale:
 * - writes through this connection (any statement, including cascades and direct SQL in tests)
 *   fire TEMP triggers that drop the affected key before the statement returns; a write that is
 *   later rolled back only costs a re-read;
 * - writes by any other connection or process change `PRAGMA data_version`, which every lookup
 *   checks first: on a change both caches are emptied;
 * - nothing is cached while a transaction is open (it could still roll back).
 * Only hits are cached, so an unknown key is looked up each time. Records are frozen: callers share them.
 */
export class RowCaches {
  private readonly db: Database;
  private readonly users = new Map<string, UserRecord>();
  private readonly sessions = new Map<string, CookieSessionRecord>();
  /** z32 → users.id (ids only change when a key is deleted and registered again). */
  private readonly ids = new Map<string, number>();
  /** `${users.id}/${path}` → small inline file. */
  private readonly files = new Map<string, CachedFile>();
  private fileBytes = 0;
  private readonly fingerprints = new WeakMap<CookieSessionRecord, { user: UserRecord; fingerprint: string }>();
  private readonly idByKey;
  private readonly dataVersion;
  private readonly userByKey;
  private readonly sessionBySecret;
  private version: unknown;

  constructor(db: Database) {
    this.db = db;
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.userByKey = db.prepare<[string], UserRow>('SELECT * FROM users WHERE public_key = ?');
    this.sessionBySecret = db.prepare<[string], SessionRow>(
      `SELECT s.id, s.secret, u.public_key, s.capabilities, s.created_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret = ?`,
    );
    db.function('hs_forget_user', { deterministic: false }, (key: unknown) => {
      this.users.delete(String(key));
      return null;
    });
    db.function('hs_forget_session', { deterministic: false }, (secret: unknown) => {
      this.sessions.delete(String(secret));
      return null;
    });
    db.function('hs_forget_all_sessions', { deterministic: false }, () => {
      this.sessions.clear();
      return null;
    });
    db.function('hs_forget_file', { deterministic: false }, (userId: unknown, path: unknown) => {
      this.forgetFile(`${userId}${String(path)}`);
      return null;
    });
    db.function('hs_forget_ids', { deterministic: false }, () => {
      this.ids.clear();
      this.clearFiles();
      return null;
    });
    // TEMP triggers belong to this connection only; other writers are caught by data_version.
    db.exec(`
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_update AFTER UPDATE ON main.users
        BEGIN SELECT hs_forget_user(OLD.public_key); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_rekey AFTER UPDATE OF public_key ON main.users
        BEGIN SELECT hs_forget_user(NEW.public_key); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_delete AFTER DELETE ON main.users
        BEGIN SELECT hs_forget_user(OLD.public_key); SELECT hs_forget_all_sessions(); SELECT hs_forget_ids(); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_insert AFTER INSERT ON main.users
        BEGIN SELECT hs_forget_user(NEW.public_key); SELECT hs_forget_ids(); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_reid AFTER UPDATE OF id, public_key ON main.users
        BEGIN SELECT hs_forget_ids(); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_entries_update AFTER UPDATE ON main.entries
        BEGIN SELECT hs_forget_file(OLD.user_id, OLD.path); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_entries_delete AFTER DELETE ON main.entries
        BEGIN SELECT hs_forget_file(OLD.user_id, OLD.path); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_sessions_update AFTER UPDATE ON main.sessions
        BEGIN SELECT hs_forget_session(OLD.secret); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_sessions_rekey AFTER UPDATE OF secret ON main.sessions
        BEGIN SELECT hs_forget_session(NEW.secret); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_sessions_delete AFTER DELETE ON main.sessions
        BEGIN SELECT hs_forget_session(OLD.secret); END;
    `);
    this.idByKey = db.prepare<[string], number>('SELECT id FROM users WHERE public_key = ?').pluck();
    this.version = this.dataVersion.get();
  }

  /** Empties both caches when another connection has committed since the last check. */
  private sync(): void {
    const v = this.dataVersion.get();
    if (v !== this.version) {
      this.version = v;
      this.clear();
    }
  }

  clear(): void {
    this.users.clear();
    this.sessions.clear();
    this.ids.clear();
    this.clearFiles();
  }

  private clearFiles(): void {
    this.files.clear();
    this.fileBytes = 0;
  }

  private forgetFile(key: string): void {
    const hit = this.files.get(key);
    if (hit) {
      this.files.delete(key);
      this.fileBytes -= hit.inline.length;
    }
  }

  /**
   * A small inline file, from memory when it is there, else through `load` (which reads the
   * database by user id and returns null for anything that must not be cached). Entries are
   * dropped by the triggers on `entries` (overwrite, delete, cascades) and on data_version changes.
   */
  file(user: string, path: string, load: (userId: number) => CachedFile | null): CachedFile | null | undefined {
    this.sync();
    let id = this.ids.get(user);
    if (id === undefined) {
      const found = this.idByKey.get(user);
      if (found === undefined) return undefined;
      id = found;
      this.remember(this.ids, user, id);
    }
    const key = `${id}${path}`;
    const hit = this.files.get(key);
    if (hit) return hit;
    const loaded = load(id);
    if (!loaded || loaded.inline.length > MAX_CACHED_FILE || this.db.inTransaction) return loaded;
    while (this.files.size >= MAX_FILES || this.fileBytes + loaded.inline.length > MAX_FILE_BYTES) {
      const oldest = this.files.keys().next();
      if (oldest.done) break;
      this.forgetFile(oldest.value);
    }
    this.files.set(key, loaded);
    this.fileBytes += loaded.inline.length;
    return loaded;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): V {
    if (this.db.inTransaction) return value;
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
    map.set(key, value);
    return value;
  }

  /**
   * Takes back users' records as a write transaction of this connection committed them (the
   * FileWriter's usage UPDATE made the triggers forget them). Call only right after that COMMIT.
   */
  usersCommitted(users: UserRecord[]): void {
    for (const u of users) this.remember(this.users, u.publicKey, freezeUser(u));
  }

  user(publicKey: string): UserRecord | null {
    this.sync();
    return this.userSynced(publicKey);
  }

  private userSynced(publicKey: string): UserRecord | null {
    const hit = this.users.get(publicKey);
    if (hit) return hit;
    const row = this.userByKey.get(publicKey);
    return row ? this.remember(this.users, publicKey, freezeUser(userFromRow(row))) : null;
  }

  /**
   * A cookie session and its user's record with one data_version check for both: the pair is what
   * the database held at one moment (a write needs both; the check is a read transaction).
   */
  sessionWithUser(secret: string): { session: CookieSessionRecord; user: UserRecord } | null {
    const session = this.session(secret);
    if (!session) return null;
    const user = this.userSynced(session.user);
    return user ? { session, user } : null;
  }

  /**
   * A cookie session and its user from memory alone (no data_version check: no read transaction),
   * or null unless both are held. The stamp lets the write transaction that uses them confirm, at
   * its commit, that they were still current (FileWriter compares the fingerprint with the rows).
   */
  peekSessionWithUser(secret: string): { session: CookieSessionRecord; user: UserRecord; stamp: AuthStamp } | null {
    const session = this.sessions.get(secret);
    if (!session) return null;
    const user = this.users.get(session.user);
    if (!user) return null;
    // Records are frozen and shared: the fingerprint of a pair is computed once.
    let fp = this.fingerprints.get(session);
    if (!fp || fp.user !== user) this.fingerprints.set(session, (fp = { user, fingerprint: authFingerprint(session, user) }));
    return { session, user, stamp: { secret, fingerprint: fp.fingerprint } };
  }

  session(secret: string): CookieSessionRecord | null {
    this.sync();
    const hit = this.sessions.get(secret);
    if (hit) return hit;
    const r = this.sessionBySecret.get(secret);
    if (!r) return null;
    const record = { id: r.id, secret: r.secret, user: r.public_key, capabilities: r.capabilities, createdAt: r.created_at };
    return this.remember(this.sessions, secret, Object.freeze(record));
  }

  /** For tests: how many records are cached. */
  get size(): { users: number; sessions: number; files: number } {
    return { users: this.users.size, sessions: this.sessions.size, files: this.files.size };
  }
}
