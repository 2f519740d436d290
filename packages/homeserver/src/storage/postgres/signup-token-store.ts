import { nowMicros } from '@pubky-ts/common';
import { fullQuotaRow, quotaFromRow, type QuotaRow } from '../sqlite/quota-columns.ts';
import { generateSignupToken } from '../sqlite/signup-token-store.ts';
import type { SignupTokenRecord, SignupTokenState, SignupTokenStore, UserQuota } from '../types.ts';
import type { PgContext } from './context.ts';
import { QUOTA_NAMES, quotaValues } from './user-store.ts';

interface Row extends QuotaRow {
  id: string;
  created_at: number;
  used_by: string | null;
  used_at: number | null;
}

function fromRow(r: Row): SignupTokenRecord {
  return { token: r.id, createdAt: r.created_at, usedBy: r.used_by, usedAt: r.used_at, quota: quotaFromRow(r) };
}

const STATE_FILTER: Record<SignupTokenState, string> = {
  all: '',
  used: 'AND used_by IS NOT NULL',
  unused: 'AND used_by IS NULL',
};

/** Signup codes in `signup_codes` (the reference's table; the token is its `id`). */
export class PgSignupTokenStore implements SignupTokenStore {
  constructor(private readonly ctx: PgContext) {}

  async create(quota?: Partial<UserQuota>): Promise<string> {
    for (;;) {
      const token = generateSignupToken();
      const r = await this.ctx.db.query(
        `INSERT INTO signup_codes (id, created_at, ${QUOTA_NAMES}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        [token, nowMicros(), ...quotaValues(fullQuotaRow(quota))],
        { retry: true },
      );
      // 56 random bits: a collision is astronomically rare, but retrying costs nothing.
      if (r.rowCount === 1) return token;
    }
  }

  async get(token: string): Promise<SignupTokenRecord | null> {
    const { rows } = await this.ctx.db.query<Row>('SELECT * FROM signup_codes WHERE id = $1', [token], { retry: true });
    return rows.length ? fromRow(rows[0]) : null;
  }

  async list(options: { limit: number; cursor?: string | null; state?: SignupTokenState }) {
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit)));
    const { rows } = await this.ctx.db.query<Row>(
      `SELECT * FROM signup_codes WHERE id > $1 ${STATE_FILTER[options.state ?? 'all']} ORDER BY id LIMIT $2`,
      [options.cursor ?? '', limit + 1],
      { retry: true },
    );
    const items = rows.slice(0, limit).map(fromRow);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].token : null };
  }

  async stats(): Promise<{ total: number; unused: number }> {
    const { rows } = await this.ctx.db.query<{ total: number; unused: number }>(
      'SELECT count(*) AS total, count(*) FILTER (WHERE used_by IS NULL) AS unused FROM signup_codes',
      [],
      { retry: true },
    );
    return rows[0];
  }
}
