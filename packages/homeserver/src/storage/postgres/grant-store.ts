import { base64urlEncode, nowMicros, randomBytes, BEARER_TOKEN } from '@pubky-ts/common';
import { storageErrors } from '../errors.ts';
import { bearerHash, GRANT_COLUMNS, grantFromRow, type GrantRow } from '../grant-row.ts';
import type { GrantRecord, GrantSessionRecord, GrantStore, NewGrant } from '../types.ts';
import { appendRevocations, type PgContext } from './context.ts';

const BY_ID = `SELECT ${GRANT_COLUMNS} FROM grants g JOIN users u ON u.id = g.user_id WHERE g.id = $1`;

const nowSec = () => Math.floor(Date.now() / 1000);

export class PgGrantStore implements GrantStore {
  constructor(private readonly ctx: PgContext) {}

  async upsert(grant: NewGrant): Promise<GrantRecord> {
    const { rows } = await this.ctx.db.query<{ user_id: number | null }>(
      `WITH u AS (SELECT id FROM users WHERE public_key = $2),
            ins AS (INSERT INTO grants (id, user_id, client_id, client_cnf_key, capabilities, issued_at, expires_at, created_at)
                    SELECT $1, u.id, $3, $4, $5, $6, $7, $8 FROM u ON CONFLICT (id) DO NOTHING)
       SELECT (SELECT id FROM u) AS user_id`,
      [grant.id, grant.user, grant.clientId, grant.clientCnfKey, grant.capabilities, grant.issuedAt, grant.expiresAt, nowMicros()],
      { retry: true },
    );
    if (rows[0].user_id === null) throw storageErrors.userNotFound();
    return (await this.get(grant.id))!;
  }

  async get(id: string): Promise<GrantRecord | null> {
    const { rows } = await this.ctx.db.query<GrantRow>(BY_ID, [id], { retry: true });
    return rows.length ? grantFromRow(rows[0]) : null;
  }

  async revoke(id: string, nowSeconds = nowSec()): Promise<boolean> {
    const last = await this.ctx.db.tx(async (c) => {
      const r = await c.query('UPDATE grants SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2', [nowSeconds, id]);
      if (r.rowCount === 0) return null;
      await c.query('DELETE FROM grant_sessions WHERE grant_id = $1', [id]);
      return appendRevocations(c, this.ctx, [{ kind: 'grant', id }]);
    });
    if (last === null) return false;
    await this.ctx.revocationFeed.waitFor(last);
    return true;
  }

  async listActive(user: string, nowSeconds = nowSec()): Promise<GrantRecord[]> {
    const { rows } = await this.ctx.db.query<GrantRow>(
      `SELECT ${GRANT_COLUMNS} FROM grants g JOIN users u ON u.id = g.user_id
       WHERE u.public_key = $1 AND g.revoked_at IS NULL AND g.expires_at > $2 ORDER BY g.created_at, g.id`,
      [user, nowSeconds],
      { retry: true },
    );
    return rows.map(grantFromRow);
  }

  async mintSession(grantId: string, expiresAtSeconds: number): Promise<{ token: string; session: GrantSessionRecord }> {
    const token = base64urlEncode(randomBytes(32));
    const session = await this.ctx.db.tx(async (c) => {
      // Locking the grant serialises concurrent mints: one session per grant.
      const g = await c.query('SELECT 1 FROM grants WHERE id = $1 FOR UPDATE', [grantId]);
      if (g.rows.length === 0) throw storageErrors.grantNotFound();
      await c.query('DELETE FROM grant_sessions WHERE grant_id = $1', [grantId]);
      const createdAt = nowMicros();
      const { rows } = await c.query<{ id: number }>(
        'INSERT INTO grant_sessions (token_hash, grant_id, expires_at, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
        [bearerHash(token), grantId, expiresAtSeconds, createdAt],
      );
      return { id: rows[0].id, grantId, expiresAt: expiresAtSeconds, createdAt };
    });
    return { token, session };
  }

  async resolveBearer(token: string, nowSeconds = nowSec()) {
    if (typeof token !== 'string' || !BEARER_TOKEN.test(token)) return null;
    const { rows } = await this.ctx.db.query<GrantRow & { s_id: number; s_expires: number; s_created: number }>(
      `SELECT s.id AS s_id, s.expires_at AS s_expires, s.created_at AS s_created, ${GRANT_COLUMNS}
       FROM grant_sessions s JOIN grants g ON g.id = s.grant_id JOIN users u ON u.id = g.user_id WHERE s.token_hash = $1`,
      [bearerHash(token)],
      { retry: true },
    );
    const r = rows[0];
    if (!r || r.s_expires <= nowSeconds || r.revoked_at !== null || r.expires_at <= nowSeconds) return null;
    return {
      session: { id: r.s_id, grantId: r.id, expiresAt: r.s_expires, createdAt: r.s_created },
      grant: grantFromRow(r),
    };
  }

  async useNonce(nonce: string, nowSeconds = nowSec(), maxAgeSeconds = 360): Promise<boolean> {
    await this.ctx.db.query('DELETE FROM pop_nonces WHERE created_at < $1', [nowSeconds - maxAgeSeconds], { retry: true });
    const r = await this.ctx.db.query(
      'INSERT INTO pop_nonces (nonce, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [nonce, nowSeconds],
      { retry: true },
    );
    return r.rowCount === 1;
  }
}
