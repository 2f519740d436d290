// Writers commit concurrently (the events lock is taken SHARED), so event ids may become visible out
// of order. Spec §4: a reader paging by `id > cursor` must still never skip an event that commits
// later with a smaller id. These tests hold an id uncommitted by hand, and run many writers against
// readers paging concurrently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { chunks, randomUserKey } from '../storage-helpers.ts';
import type { StoredEvent } from '../../src/storage/types.ts';
import type { PostgresHomeserverStore } from '../../src/storage/postgres/open-store.ts';
import { tempPgStore, TEST_DATABASE_URL } from './pg-helpers.ts';

async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A connection on the test schema that takes an event id the way `hs_put` does, and holds it. */
async function holdEventId(store: PostgresHomeserverStore, schema: string, user: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path="${schema}"` });
  c.on('error', () => undefined);
  await c.connect();
  await c.query('BEGIN');
  await c.query('SELECT pg_advisory_xact_lock_shared($1)', [store.ctx.eventLockKey]);
  const { rows } = await c.query<{ id: string }>(
    `INSERT INTO events (type, user_id, path, content_hash, created_at)
     SELECT 'DEL', id, '/pub/held', NULL, 1 FROM users WHERE public_key = $1 RETURNING id`,
    [user],
  );
  return {
    id: Number(rows[0].id),
    async finish(how: 'COMMIT' | 'ROLLBACK') {
      await c.query(how);
      await c.end();
    },
    close: () => c.end().catch(() => undefined),
  };
}

/** max(id) as the table shows it now (committed rows only). */
async function maxVisible(store: PostgresHomeserverStore): Promise<number> {
  return (await store.db.query<{ m: number | null }>('SELECT max(id) AS m FROM events')).rows[0].m ?? 0;
}

test('a later id that commits first is held back until the earlier one commits; acknowledged only then', async () => {
  const { store: a, schema, open, cleanup } = await tempPgStore({ eventGapTimeoutMs: 60_000 });
  let held: Awaited<ReturnType<typeof holdEventId>> | null = null;
  try {
    const b = await open({ eventGapTimeoutMs: 60_000 });
    const u = randomUserKey();
    await a.users.create(u);
    await a.files.put(u, '/pub/0', chunks('0'));
    const base = (await a.events.read({})).at(-1)!.id;
    assert.equal((await b.events.read({})).at(-1)!.id, base, 'B has delivered everything so far');
    const onB: StoredEvent[] = [];
    b.events.bus.subscribe((e) => onB.push(e));

    held = await holdEventId(a, schema, u);
    assert.equal(held.id, base + 1);
    let acked = false;
    const put = a.files.put(u, '/pub/1', chunks('1')).then((e) => {
      acked = true;
      return e;
    });
    // The later write has committed (visible), its predecessor has not.
    await until(async () => (await maxVisible(a)) === base + 2, 5000, 'the later write to commit');
    for (const s of [a, b]) {
      assert.deepEqual(await s.events.read({ cursor: base }), [], 'read() stops before the invisible id');
      assert.deepEqual(await s.events.feed(base, 100), [], 'feed() too');
      assert.equal(await s.events.latestId(), base);
      assert.deepEqual(
        (await s.events.read({ reverse: true, limit: 1 })).map((e) => e.id),
        [base],
        'reverse reads too',
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(acked, false, 'the write is not acknowledged while an earlier id may still commit');
    assert.equal(onB.length, 0, 'B has delivered nothing yet');

    await held.finish('COMMIT');
    held = null;
    await put;
    await until(() => onB.length === 2, 5000, 'both events on B');
    assert.deepEqual(
      onB.map((e) => [e.id, e.path]),
      [
        [base + 1, '/pub/held'],
        [base + 2, '/pub/1'],
      ],
    );
    for (const s of [a, b]) {
      assert.deepEqual(
        (await s.events.read({ cursor: base })).map((e) => e.id),
        [base + 1, base + 2],
      );
      assert.deepEqual(
        (await s.events.feed(base, 100)).map((e) => e.id),
        [base + 1, base + 2],
      );
    }
  } finally {
    await held?.close();
    await cleanup();
  }
});

test('an id that never commits (rolled back) is settled after the gap timeout; nothing after it is lost', async () => {
  const { store: a, schema, open, cleanup } = await tempPgStore({ eventGapTimeoutMs: 100 });
  let held: Awaited<ReturnType<typeof holdEventId>> | null = null;
  try {
    const b = await open({ eventGapTimeoutMs: 100 });
    const u = randomUserKey();
    await a.users.create(u);
    await a.files.put(u, '/pub/0', chunks('0'));
    const base = (await a.events.read({})).at(-1)!.id;
    assert.equal((await b.events.read({})).at(-1)!.id, base, 'B has delivered everything so far');
    const onB: StoredEvent[] = [];
    b.events.bus.subscribe((e) => onB.push(e));
    held = await holdEventId(a, schema, u);
    const put = a.files.put(u, '/pub/1', chunks('1'));
    await until(async () => (await maxVisible(a)) === base + 2, 5000, 'the later write to commit');
    await held.finish('ROLLBACK');
    held = null;
    await put;
    await until(() => onB.length === 1, 5000, 'the event after the gap on B');
    assert.deepEqual(
      onB.map((e) => e.id),
      [base + 2],
    );
    assert.ok(a.ctx.eventFeed.settles + b.ctx.eventFeed.settles >= 1, 'the gap was settled');
    assert.deepEqual(
      (await b.events.read({ cursor: base })).map((e) => e.id),
      [base + 2],
    );
    // Writes after the gap flow as before.
    await b.files.put(u, '/pub/2', chunks('2'));
    assert.deepEqual(
      (await a.events.feed(base, 100)).map((e) => e.path),
      ['/pub/1', '/pub/2'],
    );
  } finally {
    await held?.close();
    await cleanup();
  }
});

test('many concurrent writers on two instances: readers paging concurrently see every id exactly once, in order', async () => {
  const { store: a, open, cleanup } = await tempPgStore({ maxConnections: 8 });
  try {
    const b = await open({ maxConnections: 8 });
    const reader = await open({ maxConnections: 4 });
    const users = Array.from({ length: 12 }, () => randomUserKey());
    for (const u of users) await a.users.create(u);
    const onBus: number[] = [];
    reader.events.bus.subscribe((e) => onBus.push(e.id));

    let writing = true;
    const deadline = Date.now() + 4000;
    let acked = 0;
    const writer = async (w: number) => {
      const s = w % 2 ? a : b;
      for (let i = 0; Date.now() < deadline; i++) {
        const u = users[(w + i) % users.length];
        if (i % 7 === 6) await s.files.delete(users[(w + i - 1) % users.length], `/pub/w${w}/${i - 1}`);
        else await s.files.put(u, `/pub/w${w}/${i}`, chunks(`${w}:${i}`));
        acked++;
      }
    };
    /** Pages with `page(cursor)` until the writers are done and a page comes back empty. */
    const pager = async (page: (cursor: number) => Promise<StoredEvent[]>) => {
      const seen: number[] = [];
      let cursor = 0;
      for (;;) {
        const done = !writing;
        const got = await page(cursor);
        for (const e of got) seen.push(e.id);
        if (got.length > 0) cursor = got[got.length - 1].id;
        else if (done) return seen;
        else await new Promise((r) => setTimeout(r, 1));
      }
    };
    const readers = [
      pager(async (c) => reader.events.read({ cursor: c, limit: 5 })),
      pager(async (c) => b.events.read({ cursor: c, limit: 3 })),
      // The /events/ feed shows /pub/ only: every path here is under /pub/.
      pager(async (c) => a.events.feed(c, 7)),
    ];
    await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
    writing = false;
    const [r1, r2, r3] = await Promise.all(readers);

    const all = (await a.db.query<{ id: number }>('SELECT id FROM events ORDER BY id')).rows.map((r) => r.id);
    assert.equal(all.length, acked, 'one event per acknowledged write');
    assert.ok(all.length >= 100, `enough writes to overlap (${all.length})`);
    for (const [name, seen] of [
      ['reader', r1],
      ['b', r2],
      ['feed', r3],
    ] as const) {
      assert.deepEqual(seen, all, `${name}: every id once, in order`);
    }
    await until(() => onBus.length >= all.length, 5000, 'the reader bus to catch up');
    assert.deepEqual(onBus, all, 'the bus delivers every id once, in order');
  } finally {
    await cleanup();
  }
});
