import type { UserPacketOutcome, UserPacketRecord, UserPacketStore } from '../types.ts';
import {
  reportedFields,
  USER_PACKET_OUTCOME_COLUMNS as COLUMNS,
  userPacketFromRow,
  type UserPacketRow as Row,
} from '../user-packet-row.ts';
import type { SqliteContext } from './context.ts';

/** PKARR packet custody in SQLite: one row per user, replaced only by a packet at least as new. */
export class SqliteUserPacketStore implements UserPacketStore {
  private readonly upsert;
  private readonly select;
  private readonly users;
  private readonly db;

  constructor(ctx: SqliteContext) {
    this.db = ctx.db;
    this.upsert = ctx.db.prepare(`
      INSERT INTO user_packets (user_id, packet, timestamp)
      SELECT id, ?, ? FROM users WHERE public_key = ?
      ON CONFLICT(user_id) DO UPDATE SET packet = excluded.packet, timestamp = excluded.timestamp
      WHERE excluded.timestamp >= user_packets.timestamp`);
    this.select = ctx.db.prepare<[string], Row>(`
      SELECT u.public_key AS user, p.* FROM user_packets p JOIN users u ON u.id = p.user_id WHERE u.public_key = ?`);
    this.users = ctx.db.prepare<[string, number], { public_key: string }>(
      'SELECT public_key FROM users WHERE public_key > ? ORDER BY public_key LIMIT ?',
    );
  }

  async save(user: string, packet: Uint8Array, timestamp: number): Promise<boolean> {
    return this.upsert.run(packet, timestamp, user).changes === 1;
  }

  async get(user: string): Promise<UserPacketRecord | null> {
    const r = this.select.get(user);
    if (!r) return null;
    return userPacketFromRow(r);
  }

  async report(user: string, outcome: UserPacketOutcome): Promise<void> {
    const keys = reportedFields(outcome);
    if (keys.length === 0) return;
    const values = keys.map((k) => {
      const v = outcome[k];
      return typeof v === 'boolean' ? (v ? 1 : 0) : v;
    });
    this.db
      .prepare(
        `UPDATE user_packets SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(', ')}
         WHERE user_id = (SELECT id FROM users WHERE public_key = ?)`,
      )
      .run(...values, user);
  }

  async listUsers(options: { limit: number; after?: string | null }): Promise<string[]> {
    return this.users.all(options.after ?? '', options.limit).map((r) => r.public_key);
  }
}
