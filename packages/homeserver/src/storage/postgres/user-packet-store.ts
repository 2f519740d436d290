import type { UserPacketOutcome, UserPacketRecord, UserPacketStore } from '../types.ts';
import {
  reportedFields,
  USER_PACKET_OUTCOME_COLUMNS as COLUMNS,
  userPacketFromRow,
  type UserPacketRow as Row,
} from '../user-packet-row.ts';
import type { PgContext } from './context.ts';

/** PKARR packet custody: one row per user, replaced only by a packet at least as new. */
export class PgUserPacketStore implements UserPacketStore {
  constructor(private readonly ctx: PgContext) {}

  async save(user: string, packet: Uint8Array, timestamp: number): Promise<boolean> {
    const r = await this.ctx.db.query(
      `INSERT INTO user_packets (user_id, packet, "timestamp")
       SELECT id, $1, $2 FROM users WHERE public_key = $3
       ON CONFLICT (user_id) DO UPDATE SET packet = EXCLUDED.packet, "timestamp" = EXCLUDED."timestamp"
       WHERE EXCLUDED."timestamp" >= user_packets."timestamp"`,
      [Buffer.from(packet), timestamp, user],
      { retry: true },
    );
    return r.rowCount === 1;
  }

  async get(user: string): Promise<UserPacketRecord | null> {
    const { rows } = await this.ctx.db.query<Row>(
      'SELECT u.public_key AS user, p.* FROM user_packets p JOIN users u ON u.id = p.user_id WHERE u.public_key = $1',
      [user],
      { retry: true },
    );
    const r = rows[0];
    if (!r) return null;
    return userPacketFromRow(r);
  }

  async report(user: string, outcome: UserPacketOutcome): Promise<void> {
    const keys = reportedFields(outcome);
    if (keys.length === 0) return;
    await this.ctx.db.query(
      `UPDATE user_packets SET ${keys.map((k, i) => `${COLUMNS[k]} = $${i + 1}`).join(', ')}
       WHERE user_id = (SELECT id FROM users WHERE public_key = $${keys.length + 1})`,
      [...keys.map((k) => outcome[k]), user],
      { retry: true },
    );
  }

  async listUsers(options: { limit: number; after?: string | null }): Promise<string[]> {
    const { rows } = await this.ctx.db.query<{ public_key: string }>(
      'SELECT public_key FROM users WHERE public_key > $1 ORDER BY public_key LIMIT $2',
      [options.after ?? '', options.limit],
      { retry: true },
    );
    return rows.map((r) => r.public_key);
  }
}
