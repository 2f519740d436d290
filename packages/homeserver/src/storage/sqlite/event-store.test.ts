// Event reads over a long history: windowed reads (path filters, several users) return exactly what
// one unbounded query would, and give the event loop turns instead of blocking it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import type { EventQuery } from '../types.ts';
import { randomUserKey, tempStore } from '../../../test/storage-helpers.ts';

interface Row {
  id: number;
  user: string;
  path: string;
}

const PATHS = ['/pub/a/x', '/pub/a/y', '/pub/a/b/z', '/pub/ab', '/pub/b/z', '/pub/a%/q', '/priv/p', '/priv/a/x'];

/** The events `q` asks for, straight from the definition (spec §4.3), over every row. */
function model(rows: Row[], q: EventQuery, known: Set<string>): number[] {
  const limit = Math.max(1, Math.min(1000, q.limit ?? 100));
  const after = (id: number, c: number | null | undefined) => c == null || (q.reverse ? id < c : id > c);
  const users = q.users?.filter((u) => known.has(u.user));
  if (users && users.length === 0) return [];
  const picked = rows.filter(
    (r) =>
      (users === undefined || users.some((u) => u.user === r.user && after(r.id, u.cursor))) &&
      after(r.id, q.cursor) &&
      (!q.paths || q.paths.some((p) => (p.endsWith('/') ? r.path.startsWith(p) : r.path === p))) &&
      (!q.publicOnly || r.path.startsWith('/pub/')),
  );
  if (q.reverse) picked.reverse();
  return picked.slice(0, limit).map((r) => r.id);
}

test('windowed event reads return exactly the events one scan would, for random queries in both directions', async () => {
  // A window of 7 ids: every read of more than a handful of events crosses many window edges.
  const { store, cleanup } = await tempStore({ eventScanWindow: 7 });
  try {
    const users = [randomUserKey(), randomUserKey(), randomUserKey()];
    for (const u of users) await store.users.create(u);
    const known = new Set(users);
    const idOf = new Map(await Promise.all(users.map(async (u) => [u, (await store.users.get(u))!.id] as const)));
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const insert = store.db.prepare(
      "INSERT INTO events (type, user_id, path, content_hash, created_at) VALUES ('PUT', ?, ?, NULL, 0) RETURNING id",
    );
    const rows: Row[] = [];
    // Users in runs of uneven length, so windows hold one user, several, or none of the scope.
    for (let i = 0; rows.length < 900; i++) {
      const user = users[rand(users.length === 3 && i % 5 === 0 ? 1 : 3)]!;
      for (let k = rand(40); k >= 0; k--) {
        const path = PATHS[rand(PATHS.length)]!;
        rows.push({ id: (insert.get(idOf.get(user)!, path) as { id: number }).id, user, path });
      }
    }
    const maxId = rows[rows.length - 1]!.id;
    const cursor = () => (rand(3) === 0 ? null : rand(maxId + 2));
    for (let n = 0; n < 400; n++) {
      const q: EventQuery = { reverse: rand(2) === 0, limit: [1, 5, 37, 100, 1000][rand(5)] };
      if (rand(4) !== 0) {
        const asked = users.filter(() => rand(2) === 0);
        if (rand(4) === 0) asked.push(randomUserKey());
        q.users = asked.map((user) => ({ user, cursor: cursor() }));
      }
      if (rand(3) === 0) q.cursor = cursor();
      if (rand(2) === 0) q.paths = PATHS.concat(['/pub/a/', '/pub/', '/priv/', '/pub/a%/', '/none/']).filter(() => rand(4) === 0);
      if (q.paths?.length === 0) delete q.paths;
      if (rand(5) === 0) q.publicOnly = true;
      const got = (await store.events.read(q)).map((e) => e.id);
      assert.deepEqual(got, model(rows, q, known), JSON.stringify(q));
    }
  } finally {
    await cleanup();
  }
});

test('a rare path in a long history, and a read over several users, do not hold the event loop for the whole scan', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const a = randomUserKey();
    const b = randomUserKey();
    await store.users.create(a);
    await store.users.create(b);
    const ida = (await store.users.get(a))!.id;
    const idb = (await store.users.get(b))!.id;
    const insert = store.db.prepare("INSERT INTO events (type, user_id, path, content_hash, created_at) VALUES ('PUT', ?, ?, NULL, 0)");
    store.db.transaction(() => {
      for (let i = 0; i < 200_000; i++) insert.run(i % 2 ? ida : idb, `/pub/bulk/${i}`);
      insert.run(ida, '/pub/rare/last');
    })();
    const turnsDuring = async (read: Promise<unknown>): Promise<number> => {
      let done = false;
      let turns = 0;
      const ticking = (async () => {
        while (!done) {
          await turn();
          turns++;
        }
      })();
      await read;
      done = true;
      await ticking;
      return turns;
    };
    let found: string[] = [];
    const rare = store.events.read({ users: [{ user: a }], paths: ['/pub/rare/'] }).then((es) => (found = es.map((e) => e.path)));
    const turns = await turnsDuring(rare);
    assert.deepEqual(found, ['/pub/rare/last']);
    assert.ok(turns >= 3, `the event loop turned ${turns} times during a scan of 100,000 events`);
    // Two users, one with a cursor, backwards from the end: the page one unbounded query gives.
    const c = 199_990;
    const page = await store.events.read({ users: [{ user: a }, { user: b, cursor: c }], reverse: true, limit: 10 });
    const direct = store.db
      .prepare('SELECT id FROM events WHERE user_id = ? OR (user_id = ? AND id < ?) ORDER BY id DESC LIMIT 10')
      .all(ida, idb, c) as { id: number }[];
    assert.deepEqual(
      page.map((e) => e.id),
      direct.map((r) => r.id),
    );
    assert.ok(direct.some((r) => r.id < c) && direct.some((r) => r.id > c), 'the page holds both users');
  } finally {
    await cleanup();
  }
});
