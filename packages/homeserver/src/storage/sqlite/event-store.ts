import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Statement } from 'better-sqlite3';
import type { LocalBus } from '../bus.ts';
import type { EventQuery, EventStore, StoredEvent } from '../types.ts';
import type { SqliteContext } from './context.ts';
import { prefixEnd } from '../path-ranges.ts';
import { clampEventLimit, EVENT_PUBLIC_ONLY, EVENT_SELECT, eventFromRow, type EventRow } from '../rows.ts';

/** Ids one window of a filtered or several-user read spans: at most this many rows examined per query. */
const SCAN_WINDOW = 4096;
/** A windowed read gives the event loop a turn after this long. */
const YIELD_AFTER_MS = 1;

export class SqliteEventStore implements EventStore {
  readonly bus: LocalBus<StoredEvent>;
  private readonly ctx: SqliteContext;
  private readonly latest;
  private readonly atCreated;
  private readonly userIds;
  private readonly nextAny;
  private readonly prevAny;
  private readonly nextOfUser;
  private readonly prevOfUser;
  private readonly cache = new Map<string, Statement>();
  private readonly scanWindow: number;

  /** `scanWindow`: how many ids one window of a filtered or several-user read spans (tests make it small). */
  constructor(ctx: SqliteContext, options: { scanWindow?: number } = {}) {
    this.ctx = ctx;
    this.scanWindow = options.scanWindow ?? SCAN_WINDOW;
    this.bus = ctx.eventBus;
    const db = ctx.db;
    this.latest = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM events');
    this.atCreated = db.prepare<[number], { id: number }>('SELECT id FROM events WHERE created_at = ? ORDER BY id LIMIT 1');
    this.userIds = db.prepare<[string], { id: number }>('SELECT id FROM users WHERE public_key = ?');
    type Id = { id: number };
    this.nextAny = db.prepare<[number], Id>('SELECT id FROM events WHERE id > ? ORDER BY id LIMIT 1');
    this.prevAny = db.prepare<[number], Id>('SELECT id FROM events WHERE id < ? ORDER BY id DESC LIMIT 1');
    this.nextOfUser = db.prepare<[number, number], Id>('SELECT id FROM events WHERE user_id = ? AND id > ? ORDER BY id LIMIT 1');
    this.prevOfUser = db.prepare<[number, number], Id>('SELECT id FROM events WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT 1');
  }

  /**
   * A read whose rows are all wanted (one user or all, no path filter) is one query that stops at
   * `limit`. Otherwise SQLite would check rows one by one along the id order (a path filter) or sort
   * every event of the users asked for (several users: a multi-index OR), in one synchronous call:
   * a rare path in a long history blocked the event loop for tens of ms per request. Such reads go
   * through the ids in windows of `scanWindow` instead, each bounded, yielding between them.
   */
  async read(q: EventQuery): Promise<StoredEvent[]> {
    const reverse = q.reverse === true;
    const cmp = reverse ? '<' : '>';
    const limit = clampEventLimit(q.limit);
    const where: string[] = [];
    const params: (string | number)[] = [];
    let scope: { id: number; cursor: number | null }[] | null = null;
    if (q.users) {
      scope = [];
      const perUser: string[] = [];
      for (const { user, cursor } of q.users) {
        const u = this.userIds.get(user);
        if (!u) continue;
        const c = cursor ?? null;
        scope.push({ id: u.id, cursor: c });
        if (c === null) {
          perUser.push('e.user_id = ?');
          params.push(u.id);
        } else {
          perUser.push(`(e.user_id = ? AND e.id ${cmp} ?)`);
          params.push(u.id, c);
        }
      }
      if (perUser.length === 0) return [];
      where.push(`(${perUser.join(' OR ')})`);
    }
    const cursor = q.cursor ?? null;
    if (cursor !== null) {
      where.push(`e.id ${cmp} ?`);
      params.push(cursor);
    }
    let filtered = false;
    if (q.paths && q.paths.length > 0) {
      filtered = true;
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
    if (q.publicOnly) {
      filtered = true;
      where.push(EVENT_PUBLIC_ONLY);
    }
    const order = reverse ? 'DESC' : 'ASC';
    if (!filtered && (scope === null || scope.length === 1)) {
      const sql = `${EVENT_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id ${order} LIMIT ?`;
      return (this.statement(sql).all(...params, limit) as EventRow[]).map(eventFromRow);
    }
    where.push(reverse ? 'e.id <= ? AND e.id > ?' : 'e.id >= ? AND e.id < ?');
    const windowed = this.statement(`${EVENT_SELECT} WHERE ${where.join(' AND ')} ORDER BY e.id ${order} LIMIT ?`);
    const out: StoredEvent[] = [];
    const w = this.scanWindow;
    let from = cursor ?? (reverse ? Number.MAX_SAFE_INTEGER : 0);
    let since = performance.now();
    for (;;) {
      const next = this.nextId(scope, from, reverse);
      if (next === null) break;
      const edge = reverse ? next - w : next + w;
      for (const r of windowed.all(...params, next, edge, limit - out.length) as EventRow[]) out.push(eventFromRow(r));
      if (out.length >= limit) break;
      from = reverse ? edge + 1 : edge - 1;
      if (performance.now() - since > YIELD_AFTER_MS) {
        await yieldTurn();
        since = performance.now();
      }
    }
    return out;
  }

  /** The first id past `from` (exclusive, in the read's direction) of any user in scope (null = all users). */
  private nextId(scope: { id: number; cursor: number | null }[] | null, from: number, reverse: boolean): number | null {
    if (scope === null) return (reverse ? this.prevAny : this.nextAny).get(from)?.id ?? null;
    let best: number | null = null;
    for (const u of scope) {
      const after = u.cursor === null ? from : reverse ? Math.min(from, u.cursor) : Math.max(from, u.cursor);
      const id = (reverse ? this.prevOfUser : this.nextOfUser).get(u.id, after)?.id;
      if (id !== undefined && (best === null || (reverse ? id > best : id < best))) best = id;
    }
    return best;
  }

  private statement(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      // The query shape depends only on how many users/paths are asked for: a small cache suffices.
      if (this.cache.size >= 64) this.cache.delete(this.cache.keys().next().value!);
      stmt = this.ctx.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }

  async feed(cursor: number, limit: number): Promise<StoredEvent[]> {
    return this.read({ cursor, publicOnly: true, limit });
  }

  async latestId(): Promise<number> {
    return this.latest.get()?.id ?? 0;
  }

  async idAtCreatedAt(createdAtMicros: number): Promise<number | null> {
    return this.atCreated.get(createdAtMicros)?.id ?? null;
  }
}
