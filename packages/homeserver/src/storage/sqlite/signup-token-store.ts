import { crockfordEncode, nowMicros, randomBytes } from '@pubky-ts/common';
import type { SignupTokenRecord, SignupTokenState, SignupTokenStore, UserQuota } from '../types.ts';
import type { SqliteContext } from './context.ts';
import { fullQuotaRow, quotaFromRow, type QuotaRow } from './quota-columns.ts';

interface Row extends QuotaRow {
  token: string;
  created_at: number;
  used_by: string | null;
  used_at: number | null;
}

function fromRow(r: Row): SignupTokenRecord {
  return { token: r.token, createdAt: r.created_at, usedBy: r.used_by, usedAt: r.used_at, quota: quotaFromRow(r) };
}

/** `XXXX-XXXX-XXXX`: 7 random bytes → 12 Crockford chars in groups of 4 (spec §3.5). */
export function generateSignupToken(): string {
  const s = crockfordEncode(randomBytes(7));
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}`;
}

export class SqliteSignupTokenStore implements SignupTokenStore {
  private readonly insert;
  private readonly byToken;
  private readonly listStmts: Record<SignupTokenState, any>;
  private readonly statsStmt;

  constructor(ctx: SqliteContext) {
    const db = ctx.db;
    this.insert = db.prepare<[string, number, QuotaRow]>(
      `INSERT INTO signup_tokens (token, created_at, quota_storage_mb, quota_rate_read, quota_rate_write,
         quota_rate_read_burst, quota_rate_write_burst, allowed_write_paths)
       VALUES (?, ?, @quota_storage_mb, @quota_rate_read, @quota_rate_write, @quota_rate_read_burst,
         @quota_rate_write_burst, @allowed_write_paths)`,
    );
    this.byToken = db.prepare<[string], Row>('SELECT * FROM signup_tokens WHERE token = ?');
    const list = (cond: string) =>
      db.prepare<[string, number], Row>(`SELECT * FROM signup_tokens WHERE token > ? ${cond} ORDER BY token LIMIT ?`);
    this.listStmts = {
      all: list(''),
      used: list('AND used_by IS NOT NULL'),
      unused: list('AND used_by IS NULL'),
    };
    this.statsStmt = db.prepare<[], { total: number; unused: number | null }>(
      'SELECT COUNT(*) AS total, SUM(used_by IS NULL) AS unused FROM signup_tokens',
    );
  }

  async create(quota?: Partial<UserQuota>): Promise<string> {
    for (;;) {
      const token = generateSignupToken();
      try {
        this.insert.run(token, nowMicros(), fullQuotaRow(quota));
        return token;
      } catch (err) {
        // 56 random bits: a collision is astronomically rare, but retrying costs nothing.
        if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
      }
    }
  }

  async get(token: string): Promise<SignupTokenRecord | null> {
    const r = this.byToken.get(token);
    return r ? fromRow(r) : null;
  }

  async list(options: { limit: number; cursor?: string | null; state?: SignupTokenState }) {
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit)));
    const rows: Row[] = this.listStmts[options.state ?? 'all'].all(options.cursor ?? '', limit + 1);
    const items = rows.slice(0, limit).map(fromRow);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].token : null };
  }

  async stats(): Promise<{ total: number; unused: number }> {
    const r = this.statsStmt.get()!;
    return { total: r.total, unused: r.unused ?? 0 };
  }
}
