import type { Statement } from 'better-sqlite3';
import type { LocalBus } from '../bus.ts';
import type { EventQuery, EventStore, StoredEvent } from '../types.ts';
import type { SqliteContext } from './context.ts';
import { prefixEnd } from '../path-ranges.ts';
import { eventFromRow, type EventRow } from '../rows.ts';

const SELECT = 'SELECT e.id, e.type, u.public_key, e.path, e.content_hash, e.created_at FROM events e JOIN users u ON u.id = e.user_id';

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 100;
  return Math.max(1, Math.min(1000, Math.floor(limit)));
}

export class SqliteEventStore implements EventStore {
  readonly bus: LocalBus<StoredEvent>;
  private readonly ctx: SqliteContext;
  private readonly feedStmt;
  private readonly latest;
  private readonly atCreated;
  private readonly userIds;
  private readonly cache = new Map<string, Statement>();

  constructor(ctx: SqliteContext) {
    this.ctx = ctx;
    this.bus = ctx.eventBus;
    const db = ctx.db;
    this.feedStmt = db.prepare<[number, number], EventRow>(
      `${SELECT} WHERE e.id > ? AND e.path >= '/pub/' AND e.path < '/pub0' ORDER BY e.id LIMIT ?`,
    );
    this.latest = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM events');
    this.atCreated = db.prepare<[number], { id: number }>('SELECT id FROM events WHERE created_at = ? ORDER BY id LIMIT 1');
    this.userIds = db.prepare<[string], { id: number }>('SELECT id FROM users WHERE public_key = ?');
  }

  async read(q: EventQuery): Promise<StoredEvent[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const cmp = q.reverse ? '<' : '>';
    if (q.users) {
      if (q.users.length === 0) return [];
      const perUser: string[] = [];
      for (const { user, cursor } of q.users) {
        const u = this.userIds.get(user);
        if (!u) continue;
        if (cursor === undefined || cursor === null) {
          perUser.push('e.user_id = ?');
          params.push(u.id);
        } else {
          perUser.push(`(e.user_id = ? AND e.id ${cmp} ?)`);
          params.push(u.id, cursor);
        }
      }
      if (perUser.length === 0) return [];
      where.push(`(${perUser.join(' OR ')})`);
    }
    if (q.cursor !== undefined && q.cursor !== null) {
      where.push(`e.id ${cmp} ?`);
      params.push(q.cursor);
    }
    if (q.paths && q.paths.length > 0) {
      const alts: string[] = [];
      for (const p of q.paths) {
        if (p.endsWith('/')) {
          // A range on the raw string: no LIKE, so '%' and '_' in paths are ordinary characters.
          alts.push('(e.path >= ? AND e.path < ?)');
          params.push(p, prefixEnd(p));
        } else {
          alts.push('e.path = ?');
          params.push(p);
        }
      }
      where.push(`(${alts.join(' OR ')})`);
    }
    if (q.publicOnly) where.push("e.path >= '/pub/' AND e.path < '/pub0'");
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id ${q.reverse ? 'DESC' : 'ASC'} LIMIT ?`;
    params.push(clampLimit(q.limit));
    let stmt = this.cache.get(sql);
    if (!stmt) {
      // The query shape depends only on how many users/paths are asked for: a small cache suffices.
      if (this.cache.size >= 64) this.cache.delete(this.cache.keys().next().value!);
      stmt = this.ctx.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return (stmt.all(...params) as EventRow[]).map(eventFromRow);
  }

  async feed(cursor: number, limit: number): Promise<StoredEvent[]> {
    return this.feedStmt.all(cursor, clampLimit(limit)).map(eventFromRow);
  }

  async latestId(): Promise<number> {
    return this.latest.get()?.id ?? 0;
  }

  async idAtCreatedAt(createdAtMicros: number): Promise<number | null> {
    return this.atCreated.get(createdAtMicros)?.id ?? null;
  }
}
