import type { Database } from 'better-sqlite3';
import {
  MIRROR_PROGRESS_COLUMNS as COLUMNS,
  MIRROR_SELECT,
  mirrorFromRow,
  progressFields,
  type MirrorProgress,
  type MirrorRecord,
  type MirrorRow,
  type MirrorStore,
  type NewMirror,
} from './mirror-store.ts';

/** Mirror state in the embedded SQLite database (the `user_packets` pattern: plain statements). */
export class SqliteMirrorStore implements MirrorStore {
  private readonly selectOne;
  private readonly selectAll;
  private readonly upsert;
  private readonly remove;
  private readonly claimStmt;
  private readonly releaseStmt;

  constructor(private readonly db: Database) {
    this.selectOne = db.prepare<[string], MirrorRow>(`${MIRROR_SELECT} WHERE u.public_key = ?`);
    this.selectAll = db.prepare<[], MirrorRow>(`${MIRROR_SELECT} ORDER BY u.public_key`);
    this.upsert = db.prepare(`
      INSERT INTO mirrors (user_id, primary_key, grant_jws, grant_expires_at, bearer, bearer_expires_at, created_at, updated_at)
      SELECT id, @primary, @grant, @grantExpiresAt, @bearer, @bearerExpiresAt, @now, @now FROM users WHERE public_key = @user
      ON CONFLICT(user_id) DO UPDATE SET
        primary_key = excluded.primary_key, grant_jws = excluded.grant_jws, grant_expires_at = excluded.grant_expires_at,
        bearer = excluded.bearer, bearer_expires_at = excluded.bearer_expires_at,
        cursor = CASE WHEN @keep THEN cursor ELSE '' END,
        applied_events = CASE WHEN @keep THEN applied_events ELSE 0 END,
        last_applied_at = CASE WHEN @keep THEN last_applied_at ELSE NULL END,
        pending_events = 0, oldest_pending_at = NULL, last_error = NULL, state = 'catching_up',
        generation = generation + 1, owner = NULL, lease_until = NULL, updated_at = excluded.updated_at`);
    this.remove = db.prepare('DELETE FROM mirrors WHERE user_id = (SELECT id FROM users WHERE public_key = ?)');
    this.claimStmt = db.prepare(`
      UPDATE mirrors SET owner = @owner, lease_until = @until
      WHERE user_id = (SELECT id FROM users WHERE public_key = @user) AND generation = @generation
        AND (owner IS NULL OR owner = @owner OR lease_until IS NULL OR lease_until < @now)`);
    this.releaseStmt = db.prepare('UPDATE mirrors SET owner = NULL, lease_until = NULL WHERE owner = ?');
  }

  async put(m: NewMirror, nowMicros: number): Promise<MirrorRecord | null> {
    const r = this.upsert.run({
      user: m.user,
      primary: m.primary,
      grant: m.grant,
      grantExpiresAt: m.grantExpiresAt,
      bearer: m.bearer,
      bearerExpiresAt: m.bearerExpiresAt,
      keep: m.keepCursor ? 1 : 0,
      now: nowMicros,
    });
    if (r.changes === 0) return null;
    return this.get(m.user);
  }

  async get(user: string): Promise<MirrorRecord | null> {
    const r = this.selectOne.get(user);
    return r ? mirrorFromRow(r) : null;
  }

  async list(): Promise<MirrorRecord[]> {
    return this.selectAll.all().map(mirrorFromRow);
  }

  async delete(user: string): Promise<boolean> {
    return this.remove.run(user).changes === 1;
  }

  async report(user: string, generation: number, progress: MirrorProgress, nowMicros: number): Promise<boolean> {
    const keys = progressFields(progress);
    const r = this.db
      .prepare(
        `UPDATE mirrors SET ${[...keys.map((k) => `${COLUMNS[k]} = ?`), 'updated_at = ?'].join(', ')}
         WHERE user_id = (SELECT id FROM users WHERE public_key = ?) AND generation = ?`,
      )
      .run(...keys.map((k) => progress[k]), nowMicros, user, generation);
    return r.changes === 1;
  }

  async claim(user: string, generation: number, owner: string, untilMicros: number, nowMicros: number): Promise<boolean> {
    return this.claimStmt.run({ user, generation, owner, until: untilMicros, now: nowMicros }).changes === 1;
  }

  async release(owner: string): Promise<void> {
    this.releaseStmt.run(owner);
  }
}
