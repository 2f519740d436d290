import type { AuthTokenReplayGuard } from '../types.ts';
import type { PgContext } from './context.ts';

/**
 * AuthToken replay guard shared by every process on the database. One atomic statement: insert the
 * id, or take over its row only if the recorded use has expired; a row back means "first use".
 */
export class PgReplayGuard implements AuthTokenReplayGuard {
  private calls = 0;

  constructor(private readonly ctx: PgContext) {}

  async markUsed(id: Uint8Array, expiresAtMicros: number): Promise<boolean> {
    const now = Date.now() * 1000;
    const key = Buffer.from(id.buffer, id.byteOffset, id.byteLength);
    // Amortised clean-up of expired ids.
    if (++this.calls % 256 === 0) {
      await this.ctx.db.query('DELETE FROM auth_token_ids WHERE expires_at <= $1', [now]).catch(() => undefined);
    }
    // Not retried on a lost connection: a retry after an unseen commit would refuse a fresh token;
    // the caller answers 503 instead and the client tries again with a new token.
    const r = await this.ctx.db.query(
      `INSERT INTO auth_token_ids (id, expires_at) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE auth_token_ids.expires_at <= $3
       RETURNING 1`,
      [key, Math.floor(expiresAtMicros), now],
      { retry: false },
    );
    return r.rows.length === 1;
  }
}
