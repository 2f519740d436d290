import type { LocalBus } from '../bus.ts';
import { prefixEnd } from '../path-ranges.ts';
import { clampEventLimit, EVENT_PUBLIC_ONLY, EVENT_SELECT, eventFromRow, type EventRow } from '../rows.ts';
import type { EventQuery, EventStore, StoredEvent } from '../types.ts';
import type { PgContext } from './context.ts';

export class PgEventStore implements EventStore {
  readonly bus: LocalBus<StoredEvent>;

  constructor(private readonly ctx: PgContext) {
    this.bus = ctx.eventBus;
  }

  /**
   * The highest id below which the table is final (spec §4: a reader paging by `id > cursor` must never
   * skip an event that commits later with a smaller id). Writers commit concurrently, so a visible id
   * may still have an invisible, in-flight predecessor; reads stop at this process's feed watermark,
   * refreshed by a poll that starts now (so a write acknowledged anywhere before the call is included
   * unless an older write is still committing).
   */
  private async watermark(): Promise<number> {
    await this.ctx.eventFeed.sync();
    return this.ctx.eventFeed.last;
  }

  async read(q: EventQuery): Promise<StoredEvent[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const cmp = q.reverse ? '<' : '>';
    where.push(`e.id <= ${p(await this.watermark())}`);
    if (q.users) {
      if (q.users.length === 0) return [];
      const { rows } = await this.ctx.db.query<{ id: number; public_key: string }>(
        'SELECT id, public_key FROM users WHERE public_key = ANY($1)',
        [q.users.map((u) => u.user)],
        { retry: true },
      );
      const ids = new Map(rows.map((r) => [r.public_key, r.id]));
      const perUser: string[] = [];
      for (const { user, cursor } of q.users) {
        const id = ids.get(user);
        if (id === undefined) continue;
        if (cursor === undefined || cursor === null) perUser.push(`e.user_id = ${p(id)}`);
        else perUser.push(`(e.user_id = ${p(id)} AND e.id ${cmp} ${p(cursor)})`);
      }
      if (perUser.length === 0) return [];
      where.push(`(${perUser.join(' OR ')})`);
    }
    if (q.cursor !== undefined && q.cursor !== null) where.push(`e.id ${cmp} ${p(q.cursor)}`);
    if (q.paths && q.paths.length > 0) {
      // Ranges on the raw (COLLATE "C") string: no LIKE, so '%' and '_' are ordinary characters.
      const alts = q.paths.map((path) =>
        path.endsWith('/') ? `(e.path >= ${p(path)} AND e.path < ${p(prefixEnd(path))})` : `e.path = ${p(path)}`,
      );
      where.push(`(${alts.join(' OR ')})`);
    }
    if (q.publicOnly) where.push(EVENT_PUBLIC_ONLY);
    const sql = `${EVENT_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id ${q.reverse ? 'DESC' : 'ASC'} LIMIT ${p(clampEventLimit(q.limit))}`;
    const { rows } = await this.ctx.db.query<EventRow>(sql, params, { retry: true });
    return rows.map(eventFromRow);
  }

  async feed(cursor: number, limit: number): Promise<StoredEvent[]> {
    const upTo = await this.watermark();
    const { rows } = await this.ctx.db.query<EventRow>(
      `${EVENT_SELECT} WHERE e.id > $1 AND e.id <= $3 AND ${EVENT_PUBLIC_ONLY} ORDER BY e.id LIMIT $2`,
      [cursor, clampEventLimit(limit), upTo],
      { retry: true },
    );
    return rows.map(eventFromRow);
  }

  async latestId(): Promise<number> {
    const { rows } = await this.ctx.db.query<{ id: number | null }>(
      'SELECT max(id) AS id FROM events WHERE id <= $1',
      [await this.watermark()],
      { retry: true },
    );
    return rows[0].id ?? 0;
  }

  async idAtCreatedAt(createdAtMicros: number): Promise<number | null> {
    const { rows } = await this.ctx.db.query<{ id: number }>(
      'SELECT id FROM events WHERE created_at = $1 ORDER BY id LIMIT 1',
      [createdAtMicros],
      { retry: true },
    );
    return rows[0]?.id ?? null;
  }
}
