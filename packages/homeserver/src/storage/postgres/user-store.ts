import { nowMicros } from '@pubky-ts/common';
import { storageErrors } from '../errors.ts';
import { fullQuotaRow, quotaFromRow, quotaToColumns, type QuotaRow } from '../sqlite/quota-columns.ts';
import type { CreateUserOptions, Revocation, UserQuota, UserRecord, UserStats, UserStore } from '../types.ts';
import { appendRevocations, type PgContext, type PgUserRow } from './context.ts';

export function userFromPgRow(row: PgUserRow): UserRecord {
  return {
    id: row.id,
    publicKey: row.public_key,
    disabled: row.disabled,
    usedBytes: row.used_bytes,
    createdAt: row.created_at,
    ...quotaFromRow(row),
  };
}

const QUOTA_NAMES =
  'quota_storage_mb, quota_rate_read, quota_rate_write, quota_rate_read_burst, quota_rate_write_burst, allowed_write_paths';

export function quotaValues(q: QuotaRow): unknown[] {
  return [
    q.quota_storage_mb,
    q.quota_rate_read,
    q.quota_rate_write,
    q.quota_rate_read_burst,
    q.quota_rate_write_burst,
    q.allowed_write_paths,
  ];
}

export { QUOTA_NAMES };

export class PgUserStore implements UserStore {
  constructor(private readonly ctx: PgContext) {}

  async create(publicKey: string, options: CreateUserOptions = {}): Promise<UserRecord> {
    try {
      const row = await this.ctx.db.tx(async (c) => {
        const exists = await c.query('SELECT 1 FROM users WHERE public_key = $1', [publicKey]);
        if (exists.rows.length > 0) throw storageErrors.userExists();
        let quota: Partial<UserQuota> = {};
        if (options.signupToken !== undefined) {
          const t = await c.query<QuotaRow & { used_by: string | null }>('SELECT * FROM signup_codes WHERE id = $1 FOR UPDATE', [
            options.signupToken,
          ]);
          if (t.rows.length === 0) throw storageErrors.signupTokenInvalid();
          if (t.rows[0].used_by !== null) throw storageErrors.signupTokenUsed();
          await c.query('UPDATE signup_codes SET used_by = $1, used_at = $2 WHERE id = $3', [publicKey, nowMicros(), options.signupToken]);
          quota = quotaFromRow(t.rows[0]);
        }
        const merged = { ...quota };
        for (const [k, v] of Object.entries(options.quota ?? {})) if (v !== undefined) (merged as any)[k] = v;
        const ins = await c.query<PgUserRow>(
          `INSERT INTO users (public_key, created_at, ${QUOTA_NAMES}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
          [publicKey, nowMicros(), ...quotaValues(fullQuotaRow(merged))],
        );
        return ins.rows[0];
      });
      return userFromPgRow(row);
    } catch (err) {
      // A concurrent create of the same key won the race (the token, if any, stays unused).
      if ((err as { code?: string }).code === '23505') throw storageErrors.userExists();
      throw err;
    }
  }

  async get(publicKey: string): Promise<UserRecord | null> {
    const { rows } = await this.ctx.db.query<PgUserRow>('SELECT * FROM users WHERE public_key = $1', [publicKey], { retry: true });
    return rows.length ? userFromPgRow(rows[0]) : null;
  }

  async setDisabled(publicKey: string, disabled: boolean): Promise<boolean> {
    const r = await this.ctx.db.query('UPDATE users SET disabled = $1 WHERE public_key = $2', [disabled, publicKey], { retry: true });
    return (r.rowCount ?? 0) > 0;
  }

  async setQuota(publicKey: string, patch: Partial<UserQuota>): Promise<UserRecord | null> {
    const cols = quotaToColumns(patch);
    if (cols.length > 0) {
      const sql = `UPDATE users SET ${cols.map(([c], i) => `${c} = $${i + 1}`).join(', ')} WHERE public_key = $${cols.length + 1}`;
      await this.ctx.db.query(sql, [...cols.map(([, v]) => v), publicKey], { retry: true });
    }
    return this.get(publicKey);
  }

  async delete(publicKey: string): Promise<boolean> {
    const out = await this.ctx.db.tx(async (c) => {
      const u = await c.query<{ id: number }>('SELECT id FROM users WHERE public_key = $1 FOR UPDATE', [publicKey]);
      if (u.rows.length === 0) return null;
      const id = u.rows[0].id;
      const released = await c.query<{ hash: Buffer; refcount: number }>(
        `UPDATE blobs b SET refcount = b.refcount - x.n
         FROM (SELECT content_hash, count(*)::int AS n FROM entries WHERE user_id = $1 AND inline_data IS NULL GROUP BY content_hash) x
         WHERE b.hash = x.content_hash RETURNING b.hash, b.refcount`,
        [id],
      );
      const sessions = await c.query<{ id: number }>('SELECT id FROM sessions WHERE user_id = $1 ORDER BY id', [id]);
      const grants = await c.query<{ id: string }>('SELECT id FROM grants WHERE user_id = $1 ORDER BY created_at, id', [id]);
      const revs: Revocation[] = [
        ...sessions.rows.map((r) => ({ kind: 'cookie_session' as const, id: r.id })),
        ...grants.rows.map((r) => ({ kind: 'grant' as const, id: r.id })),
      ];
      const lastRevocation = await appendRevocations(c, this.ctx, revs);
      // ON DELETE CASCADE removes entries, events, sessions, grants, grant sessions and packets.
      await c.query('DELETE FROM users WHERE id = $1', [id]);
      return { released: released.rows.filter((r) => r.refcount <= 0).map((r) => r.hash), lastRevocation };
    });
    if (!out) return false;
    await this.ctx.blobs.collect(out.released);
    await this.ctx.revocationFeed.waitFor(out.lastRevocation);
    return true;
  }

  async stats(): Promise<UserStats> {
    const { rows } = await this.ctx.db.query<{ n: number; d: number; b: number }>(
      'SELECT count(*) AS n, count(*) FILTER (WHERE disabled) AS d, COALESCE(sum(used_bytes), 0)::bigint AS b FROM users',
      [],
      { retry: true },
    );
    return { numUsers: rows[0].n, numDisabledUsers: rows[0].d, totalUsedBytes: rows[0].b };
  }

  async list(options: { limit: number; cursor?: string | null }): Promise<string[]> {
    // Keys are z32 (lowercase ASCII letters and digits), which every collation orders as bytes do,
    // so the unique index on public_key serves the order.
    const { rows } = await this.ctx.db.query<{ public_key: string }>(
      'SELECT public_key FROM users WHERE public_key > $1 ORDER BY public_key LIMIT $2',
      [options.cursor ?? '', Math.max(0, Math.floor(options.limit))],
      { retry: true },
    );
    return rows.map((r) => r.public_key);
  }
}
