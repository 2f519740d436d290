import { crockfordEncode, nowMicros, randomBytes } from '@pubky-ts/common';
import { storageErrors } from '../errors.ts';
import type { CookieSessionRecord, CookieSessionStore, UserRecord, AuthStamp } from '../types.ts';
import type { SqliteContext } from './context.ts';

/** 16 random bytes → 26 uppercase Crockford chars (spec §3.3.1). */
export function generateSessionSecret(): string {
  return crockfordEncode(randomBytes(16));
}

export class SqliteCookieSessionStore implements CookieSessionStore {
  private readonly ctx: SqliteContext;
  private readonly userId;
  private readonly insert;
  private readonly deleteStmt;

  constructor(ctx: SqliteContext) {
    this.ctx = ctx;
    const db = ctx.db;
    this.userId = db.prepare<[string], { id: number }>('SELECT id FROM users WHERE public_key = ?');
    this.insert = db.prepare<[string, number, string, number]>(
      'INSERT INTO sessions (secret, user_id, capabilities, created_at) VALUES (?, ?, ?, ?)',
    );
    this.deleteStmt = db.prepare<[string], { id: number }>('DELETE FROM sessions WHERE secret = ? RETURNING id');
  }

  async create(user: string, capabilities: string): Promise<CookieSessionRecord> {
    const u = this.userId.get(user);
    if (!u) throw storageErrors.userNotFound();
    const secret = generateSessionSecret();
    const createdAt = nowMicros();
    const id = Number(this.insert.run(secret, u.id, capabilities, createdAt).lastInsertRowid);
    return { id, secret, user, capabilities, createdAt };
  }

  async getBySecret(secret: string): Promise<CookieSessionRecord | null> {
    if (typeof secret !== 'string' || secret.length !== 26) return null;
    return this.ctx.caches.session(secret);
  }

  peekBySecretWithUser(secret: string): { session: CookieSessionRecord; user: UserRecord; stamp: AuthStamp } | null {
    if (typeof secret !== 'string' || secret.length !== 26) return null;
    return this.ctx.caches.peekSessionWithUser(secret);
  }

  async getBySecretWithUser(secret: string): Promise<{ session: CookieSessionRecord; user: UserRecord } | null> {
    if (typeof secret !== 'string' || secret.length !== 26) return null;
    return this.ctx.caches.sessionWithUser(secret);
  }

  async delete(secret: string): Promise<boolean> {
    const r = this.deleteStmt.get(secret);
    if (!r) return false;
    this.ctx.revocations.publish({ kind: 'cookie_session', id: r.id });
    return true;
  }
}
