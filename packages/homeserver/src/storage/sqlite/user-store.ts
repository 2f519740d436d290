import { nowMicros } from '@pubky-ts/common';
import { storageErrors } from '../errors.ts';
import type { CreateUserOptions, UserQuota, UserRecord, UserStats, UserStore } from '../types.ts';
import type { BlobRefs } from './blob-refs.ts';
import type { SqliteContext } from './context.ts';
import type { UserRow } from './user-row.ts';
import { fullQuotaRow, quotaFromRow, quotaToColumns, type QuotaRow } from './quota-columns.ts';
import { userFromRow } from './row-cache.ts';

export { userFromRow };

interface TokenRow extends QuotaRow {
  token: string;
  used_by: string | null;
}

export class SqliteUserStore implements UserStore {
  private readonly ctx: SqliteContext;
  private readonly refs: BlobRefs;
  private readonly byKey;
  private readonly insert;
  private readonly tokenRow;
  private readonly markToken;
  private readonly setDisabledStmt;
  private readonly fileHashes;
  private readonly sessionIds;
  private readonly grantIds;
  private readonly deleteUser;
  private readonly statsStmt;
  private readonly keysAfter;

  constructor(ctx: SqliteContext, refs: BlobRefs) {
    this.ctx = ctx;
    this.refs = refs;
    const db = ctx.db;
    this.byKey = db.prepare<[string], UserRow>('SELECT * FROM users WHERE public_key = ?');
    this.insert = db.prepare<[string, number, QuotaRow]>(
      `INSERT INTO users (public_key, created_at, quota_storage_mb, quota_rate_read, quota_rate_write,
         quota_rate_read_burst, quota_rate_write_burst, allowed_write_paths)
       VALUES (?, ?, @quota_storage_mb, @quota_rate_read, @quota_rate_write, @quota_rate_read_burst,
         @quota_rate_write_burst, @allowed_write_paths)`,
    );
    this.tokenRow = db.prepare<[string], TokenRow>('SELECT * FROM signup_tokens WHERE token = ?');
    this.markToken = db.prepare('UPDATE signup_tokens SET used_by = ?, used_at = ? WHERE token = ? AND used_by IS NULL');
    this.setDisabledStmt = db.prepare('UPDATE users SET disabled = ? WHERE public_key = ?');
    this.fileHashes = db.prepare<[number], { content_hash: Buffer }>(
      'SELECT content_hash FROM entries WHERE user_id = ? AND inline_data IS NULL',
    );
    this.sessionIds = db.prepare<[number], { id: number }>('SELECT id FROM sessions WHERE user_id = ?');
    this.grantIds = db.prepare<[number], { id: string }>('SELECT id FROM grants WHERE user_id = ?');
    this.deleteUser = db.prepare('DELETE FROM users WHERE id = ?');
    this.statsStmt = db.prepare<[], { n: number; d: number | null; b: number | null }>(
      'SELECT COUNT(*) AS n, SUM(disabled) AS d, SUM(used_bytes) AS b FROM users',
    );
    this.keysAfter = db
      .prepare<[string, number], string>('SELECT public_key FROM users WHERE public_key > ? ORDER BY public_key LIMIT ?')
      .pluck();
  }

  async create(publicKey: string, options: CreateUserOptions = {}): Promise<UserRecord> {
    const run = this.ctx.db.transaction((): UserRow => {
      if (this.byKey.get(publicKey)) throw storageErrors.userExists();
      let quota: Partial<UserQuota> = {};
      if (options.signupToken !== undefined) {
        const token = this.tokenRow.get(options.signupToken);
        if (!token) throw storageErrors.signupTokenInvalid();
        if (token.used_by !== null) throw storageErrors.signupTokenUsed();
        this.markToken.run(publicKey, nowMicros(), options.signupToken);
        quota = quotaFromRow(token);
      }
      const merged = { ...quota };
      for (const [k, v] of Object.entries(options.quota ?? {})) if (v !== undefined) (merged as any)[k] = v;
      this.insert.run(publicKey, nowMicros(), fullQuotaRow(merged));
      return this.byKey.get(publicKey)!;
    });
    return userFromRow(run.immediate());
  }

  /** The returned record is shared (frozen): see RowCaches. */
  async get(publicKey: string): Promise<UserRecord | null> {
    return this.ctx.caches.user(publicKey);
  }

  /** Synchronous lookup for the hot path (same cache). */
  getSync(publicKey: string): UserRecord | null {
    return this.ctx.caches.user(publicKey);
  }

  async setDisabled(publicKey: string, disabled: boolean): Promise<boolean> {
    return this.setDisabledStmt.run(disabled ? 1 : 0, publicKey).changes > 0;
  }

  async setQuota(publicKey: string, patch: Partial<UserQuota>): Promise<UserRecord | null> {
    const cols = quotaToColumns(patch);
    if (cols.length > 0) {
      const sql = `UPDATE users SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE public_key = ?`;
      this.ctx.db.prepare(sql).run(...cols.map(([, v]) => v), publicKey);
    }
    return this.get(publicKey);
  }

  async delete(publicKey: string): Promise<boolean> {
    const run = this.ctx.db.transaction(() => {
      const user = this.byKey.get(publicKey);
      if (!user) return null;
      const released: string[] = [];
      for (const { content_hash } of this.fileHashes.all(user.id)) {
        if (this.refs.release(content_hash)) released.push(content_hash.toString('hex'));
      }
      const sessions = this.sessionIds.all(user.id).map((r) => r.id);
      const grants = this.grantIds.all(user.id).map((r) => r.id);
      // ON DELETE CASCADE removes entries, events, sessions, grants and grant sessions.
      this.deleteUser.run(user.id);
      return { released, sessions, grants };
    });
    const out = run.immediate();
    if (!out) return false;
    for (const hex of out.released) this.ctx.blobs.unlinkUnreferenced(hex, this.refs.isReferenced);
    for (const id of out.sessions) this.ctx.revocations.publish({ kind: 'cookie_session', id });
    for (const id of out.grants) this.ctx.revocations.publish({ kind: 'grant', id });
    return true;
  }

  async stats(): Promise<UserStats> {
    const r = this.statsStmt.get()!;
    return { numUsers: r.n, numDisabledUsers: r.d ?? 0, totalUsedBytes: r.b ?? 0 };
  }

  async list(options: { limit: number; cursor?: string | null }): Promise<string[]> {
    return this.keysAfter.all(options.cursor ?? '', Math.max(0, Math.floor(options.limit)));
  }
}
