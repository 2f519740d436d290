import type { PgDatabase } from '../db/postgres/database.ts';
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

/** Mirror state in PostgreSQL (shared by every process of the scale-out profile). */
export class PgMirrorStore implements MirrorStore {
  constructor(private readonly db: PgDatabase) {}

  async put(m: NewMirror, nowMicros: number): Promise<MirrorRecord | null> {
    const r = await this.db.query(
      `INSERT INTO mirrors (user_id, primary_key, grant_jws, grant_expires_at, bearer, bearer_expires_at, created_at, updated_at)
       SELECT id, $2, $3, $4, $5, $6, $8, $8 FROM users WHERE public_key = $1
       ON CONFLICT (user_id) DO UPDATE SET
         primary_key = EXCLUDED.primary_key, grant_jws = EXCLUDED.grant_jws, grant_expires_at = EXCLUDED.grant_expires_at,
         bearer = EXCLUDED.bearer, bearer_expires_at = EXCLUDED.bearer_expires_at,
         cursor = CASE WHEN $7 THEN mirrors.cursor ELSE '' END,
         applied_events = CASE WHEN $7 THEN mirrors.applied_events ELSE 0 END,
         last_applied_at = CASE WHEN $7 THEN mirrors.last_applied_at ELSE NULL END,
         pending_events = 0, oldest_pending_at = NULL, last_error = NULL, state = 'catching_up',
         generation = mirrors.generation + 1, owner = NULL, lease_until = NULL, updated_at = EXCLUDED.updated_at`,
      [m.user, m.primary, m.grant, m.grantExpiresAt, m.bearer, m.bearerExpiresAt, m.keepCursor, nowMicros],
      { retry: true },
    );
    if (r.rowCount === 0) return null;
    return this.get(m.user);
  }

  async get(user: string): Promise<MirrorRecord | null> {
    const { rows } = await this.db.query<MirrorRow>(`${MIRROR_SELECT} WHERE u.public_key = $1`, [user], { retry: true });
    return rows[0] ? mirrorFromRow(rows[0]) : null;
  }

  async list(): Promise<MirrorRecord[]> {
    const { rows } = await this.db.query<MirrorRow>(`${MIRROR_SELECT} ORDER BY u.public_key`, [], { retry: true });
    return rows.map(mirrorFromRow);
  }

  async delete(user: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM mirrors WHERE user_id = (SELECT id FROM users WHERE public_key = $1)', [user], {
      retry: true,
    });
    return r.rowCount === 1;
  }

  async report(user: string, generation: number, progress: MirrorProgress, nowMicros: number): Promise<boolean> {
    const keys = progressFields(progress);
    const sets = [...keys.map((k, i) => `${COLUMNS[k]} = $${i + 1}`), `updated_at = $${keys.length + 1}`];
    const r = await this.db.query(
      `UPDATE mirrors SET ${sets.join(', ')}
       WHERE user_id = (SELECT id FROM users WHERE public_key = $${keys.length + 2}) AND generation = $${keys.length + 3}`,
      [...keys.map((k) => progress[k]), nowMicros, user, generation],
      { retry: true },
    );
    return r.rowCount === 1;
  }

  async claim(user: string, generation: number, owner: string, untilMicros: number, nowMicros: number): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE mirrors SET owner = $3, lease_until = $4
       WHERE user_id = (SELECT id FROM users WHERE public_key = $1) AND generation = $2
         AND (owner IS NULL OR owner = $3 OR lease_until IS NULL OR lease_until < $5)`,
      [user, generation, owner, untilMicros, nowMicros],
      { retry: true },
    );
    return r.rowCount === 1;
  }

  async release(owner: string): Promise<void> {
    await this.db.query('UPDATE mirrors SET owner = NULL, lease_until = NULL WHERE owner = $1', [owner], { retry: true });
  }
}
