import type { Database } from 'better-sqlite3';
import type { CookieSessionRecord, UserRecord } from '../types.ts';
import type { UserRow } from './context.ts';
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
    // TEMP triggers belong to this connection only; other writers are caught by data_version.
    db.exec(`
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_update AFTER UPDATE ON main.users
        BEGIN SELECT hs_forget_user(OLD.public_key); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_rekey AFTER UPDATE OF public_key ON main.users
        BEGIN SELECT hs_forget_user(NEW.public_key); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_delete AFTER DELETE ON main.users
        BEGIN SELECT hs_forget_user(OLD.public_key); SELECT hs_forget_all_sessions(); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_users_insert AFTER INSERT ON main.users
        BEGIN SELECT hs_forget_user(NEW.public_key); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_sessions_update AFTER UPDATE ON main.sessions
        BEGIN SELECT hs_forget_session(OLD.secret); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_sessions_rekey AFTER UPDATE OF secret ON main.sessions
        BEGIN SELECT hs_forget_session(NEW.secret); END;
      CREATE TEMP TRIGGER IF NOT EXISTS hs_cache_sessions_delete AFTER DELETE ON main.sessions
        BEGIN SELECT hs_forget_session(OLD.secret); END;
    `);
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
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): V {
    if (this.db.inTransaction) return value;
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
    map.set(key, value);
    return value;
  }

  user(publicKey: string): UserRecord | null {
    this.sync();
    const hit = this.users.get(publicKey);
    if (hit) return hit;
    const row = this.userByKey.get(publicKey);
    return row ? this.remember(this.users, publicKey, freezeUser(userFromRow(row))) : null;
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
  get size(): { users: number; sessions: number } {
    return { users: this.users.size, sessions: this.sessions.size };
  }
}
