import { nowMicros } from '@pubky-ts/common';
import { storageErrors } from '../errors.ts';
import { generateSessionSecret } from '../sqlite/session-store.ts';
import type { CookieSessionRecord, CookieSessionStore } from '../types.ts';
import { appendRevocations, type PgContext } from './context.ts';

interface Row {
  id: number;
  secret: string;
  public_key: string;
  capabilities: string;
  created_at: number;
}

export class PgCookieSessionStore implements CookieSessionStore {
  constructor(private readonly ctx: PgContext) {}

  async create(user: string, capabilities: string): Promise<CookieSessionRecord> {
    const secret = generateSessionSecret();
    const createdAt = nowMicros();
    const { rows } = await this.ctx.db.query<{ id: number }>(
      'INSERT INTO sessions (secret, user_id, capabilities, created_at) SELECT $1, id, $2, $3 FROM users WHERE public_key = $4 RETURNING id',
      [secret, capabilities, createdAt, user],
      { retry: true },
    );
    if (rows.length === 0) throw storageErrors.userNotFound();
    return { id: rows[0].id, secret, user, capabilities, createdAt };
  }

  async getBySecret(secret: string): Promise<CookieSessionRecord | null> {
    if (typeof secret !== 'string' || secret.length !== 26) return null;
    const { rows } = await this.ctx.db.query<Row>(
      `SELECT s.id, s.secret, u.public_key, s.capabilities, s.created_at
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret = $1`,
      [secret],
      { retry: true },
    );
    const r = rows[0];
    return r ? { id: r.id, secret: r.secret, user: r.public_key, capabilities: r.capabilities, createdAt: r.created_at } : null;
  }

  async delete(secret: string): Promise<boolean> {
    const last = await this.ctx.db.tx(async (c) => {
      const { rows } = await c.query<{ id: number }>('DELETE FROM sessions WHERE secret = $1 RETURNING id', [secret]);
      if (rows.length === 0) return null;
      return appendRevocations(c, this.ctx, [{ kind: 'cookie_session', id: rows[0].id }]);
    });
    if (last === null) return false;
    await this.ctx.revocationFeed.waitFor(last);
    return true;
  }
}
