import type { AuthTokenReplayGuard } from '../types.ts';
import type { SqliteContext } from './context.ts';

/**
 * AuthToken replay guard in the database, so every process sharing the file sees every use. The
 * primary key makes "insert if absent" atomic across processes.
 */
export class SqliteReplayGuard implements AuthTokenReplayGuard {
  private readonly dropExpiredOne;
  private readonly insert;
  private readonly purge;
  private calls = 0;

  constructor(ctx: SqliteContext) {
    const db = ctx.db;
    this.dropExpiredOne = db.prepare('DELETE FROM auth_token_ids WHERE id = ? AND expires_at <= ?');
    this.insert = db.prepare('INSERT INTO auth_token_ids (id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.purge = db.prepare('DELETE FROM auth_token_ids WHERE expires_at <= ?');
  }

  async markUsed(id: Uint8Array, expiresAtMicros: number): Promise<boolean> {
    const now = Date.now() * 1000;
    // Amortised clean-up; the exact-id delete keeps a stale row from blocking a legitimate reuse.
    if (++this.calls % 256 === 0) this.purge.run(now);
    this.dropExpiredOne.run(id, now);
    return this.insert.run(id, Math.floor(expiresAtMicros)).changes === 1;
  }
}
