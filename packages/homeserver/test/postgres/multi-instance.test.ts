// Two (or more) store instances on one schema, as separate homeserver processes would share a database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from '../../src/storage/errors.ts';
import { chunks, collect, randomUserKey } from '../storage-helpers.ts';
import type { Revocation, StoredEvent } from '../../src/storage/types.ts';
import { adminQuery, randomSchema, tempPgStore, TEST_DATABASE_URL } from './pg-helpers.ts';
import net from 'node:net';
import { DatabaseUnavailableError } from '../../src/db/postgres/errors.ts';
import { openPostgresStore, type PostgresHomeserverStore } from '../../src/storage/postgres/open-store.ts';
import { pgMigrations } from '../../src/db/postgres/migrations/index.ts';

/** Resolves when `pred()` holds (polling), rejects after `ms`. */
async function until(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const summary = (e: StoredEvent) => `${e.id} ${e.type} ${e.path}`;

test("an event written through A is delivered on B's bus, every event in id order on both", async () => {
  const { store: a, open, cleanup } = await tempPgStore();
  try {
    const b = await open();
    const u = randomUserKey();
    await a.users.create(u);
    const onA: StoredEvent[] = [];
    const onB: StoredEvent[] = [];
    a.events.bus.subscribe((e) => onA.push(e));
    b.events.bus.subscribe((e) => onB.push(e));
    await a.files.put(u, '/pub/one', chunks('1'));
    await until(() => onB.length === 1, 3000, 'B to see the event');
    assert.deepEqual(onB[0], onA[0]);
    // Interleaved writers on both instances.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) writes.push((i % 2 ? a : b).files.put(u, `/pub/w${i}`, chunks(String(i))));
    await Promise.all(writes);
    await b.files.delete(u, '/pub/one');
    await until(() => onA.length === 22 && onB.length === 22, 3000, 'both buses to catch up');
    assert.deepEqual(onA.map(summary), onB.map(summary));
    const ids = onA.map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => x - y),
      'ascending',
    );
    assert.equal(new Set(ids).size, 22, 'each event once');
    assert.deepEqual(
      ids,
      (await a.events.read({ limit: 1000 })).map((e) => e.id),
      'the bus is the table, in order',
    );
  } finally {
    await cleanup();
  }
});

test('a lost NOTIFY only adds latency: the fallback poll delivers, and a killed listener reconnects', async () => {
  const { store: a, open, cleanup } = await tempPgStore();
  try {
    const b = await open({ pollIntervalMs: 150 });
    const u = randomUserKey();
    await a.users.create(u);
    const onB: StoredEvent[] = [];
    b.events.bus.subscribe((e) => onB.push(e));
    // No notifications at all for B: only its timer can wake it.
    await b.listener.stop();
    await a.files.put(u, '/pub/x', chunks('x'));
    await a.files.put(u, '/pub/y', chunks('y'));
    await until(() => onB.length === 2, 3000, 'fallback poll');
    assert.deepEqual(
      onB.map((e) => e.path),
      ['/pub/x', '/pub/y'],
    );

    // A's listener connection is killed server-side; it reconnects, polls, and nothing is lost.
    const c = await open({ pollIntervalMs: 60_000 });
    const onC: StoredEvent[] = [];
    c.events.bus.subscribe((e) => onC.push(e));
    const pid = c.listener.processId;
    assert.ok(pid);
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    await a.files.put(u, '/pub/z', chunks('z')); // may be NOTIFYed while C is disconnected
    await until(() => c.listener.connects === 2 && c.listener.listening, 3000, 'listener reconnect');
    await until(() => onC.length === 1, 3000, 'event after reconnect');
    assert.equal(onC[0].path, '/pub/z');
    await a.files.put(u, '/pub/after', chunks('1'));
    await until(() => onC.length === 2, 3000, 'NOTIFY after reconnect');
  } finally {
    await cleanup();
  }
});

test("revocations on A reach B's bus (cookie sign-out, grant revoke, account deletion)", async () => {
  const { store: a, open, cleanup } = await tempPgStore();
  try {
    const b = await open();
    const u = randomUserKey();
    await a.users.create(u);
    const s1 = await a.sessions.create(u, '/:rw');
    const s2 = await b.sessions.create(u, '/:rw');
    assert.equal((await b.sessions.getBySecret(s1.secret))?.id, s1.id, 'sessions are shared');
    await a.grants.upsert({ id: 'g', user: u, clientId: 'c', clientCnfKey: u, capabilities: '/:rw', issuedAt: 1, expiresAt: 2e9 });
    const onB: Revocation[] = [];
    b.revocations.subscribe((r) => onB.push(r));
    await a.sessions.delete(s1.secret);
    await a.grants.revoke('g');
    await a.users.delete(u);
    await until(() => onB.length === 4, 3000, 'revocations on B');
    assert.deepEqual(onB, [
      { kind: 'cookie_session', id: s1.id },
      { kind: 'grant', id: 'g' },
      { kind: 'cookie_session', id: s2.id },
      { kind: 'grant', id: 'g' },
    ]);
  } finally {
    await cleanup();
  }
});

test('a quota race between A and B never exceeds the limit', async () => {
  const { store: a, open, cleanup } = await tempPgStore({ defaultQuotaMb: 1 });
  try {
    const b = await open();
    const u = randomUserKey();
    await a.users.create(u);
    const size = 200_000; // 5 fit in 1 MiB (with 256 B each), 10 are attempted
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).files.put(u, `/pub/f${i}`, chunks(Buffer.alloc(size, i)))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) {
      if (r.status === 'rejected') assert.ok(r.reason instanceof StorageError && r.reason.code === 'QUOTA_EXCEEDED', String(r.reason));
    }
    assert.equal(ok, 5);
    const used = (await b.users.get(u))!.usedBytes;
    assert.equal(used, 5 * (size + 256));
    assert.ok(used <= 1_048_576);
    assert.equal((await a.files.list(u, '/pub/'))!.length, 5);
  } finally {
    await cleanup();
  }
});

test('a replayed AuthToken id is refused by B after A accepted it (also when racing)', async () => {
  const { store: a, open, cleanup } = await tempPgStore();
  try {
    const b = await open();
    const later = Date.now() * 1000 + 60_000_000;
    const id = new Uint8Array(40).fill(1);
    assert.equal(await a.authTokenReplay.markUsed(id, later), true);
    assert.equal(await b.authTokenReplay.markUsed(id, later), false);
    for (let i = 2; i < 12; i++) {
      const raced = new Uint8Array(40).fill(i);
      const both = await Promise.all([a.authTokenReplay.markUsed(raced, later), b.authTokenReplay.markUsed(raced, later)]);
      assert.equal(both.filter(Boolean).length, 1, 'exactly one instance accepts');
    }
  } finally {
    await cleanup();
  }
});

test('the same path written by A and B at once: one final state, one event per write, same order on both', async () => {
  const { store: a, open, cleanup } = await tempPgStore({ inlineThreshold: 1024 });
  try {
    const b = await open();
    const u = randomUserKey();
    await a.users.create(u);
    const onA: StoredEvent[] = [];
    const onB: StoredEvent[] = [];
    a.events.bus.subscribe((e) => onA.push(e));
    b.events.bus.subscribe((e) => onB.push(e));
    const bodies = Array.from({ length: 12 }, (_, i) => Buffer.alloc(i % 3 === 0 ? 5000 : 100, 65 + i)); // inline and blob
    const entries = await Promise.all(bodies.map((body, i) => (i % 2 ? a : b).files.put(u, '/pub/same', chunks(body))));
    await until(() => onA.length === 12 && onB.length === 12, 3000, 'all events on both buses');
    assert.deepEqual(onA.map(summary), onB.map(summary), 'same order on both');
    assert.ok(onA.every((e) => e.type === 'PUT' && e.path === '/pub/same'));
    // The last event is the final state.
    const last = onA[onA.length - 1];
    const final = await b.files.get(u, '/pub/same');
    assert.ok(final);
    assert.deepEqual(final.entry.contentHash, last.contentHash);
    const bytes = await collect(final.body);
    assert.ok(bodies.some((x) => x.equals(bytes)));
    // Each write produced exactly one event carrying its hash.
    assert.deepEqual(
      onA.map((e) => Buffer.from(e.contentHash!).toString('hex')).sort(),
      entries.map((e) => Buffer.from(e.contentHash).toString('hex')).sort(),
    );
    assert.equal((await a.users.get(u))!.usedBytes, bytes.length + 256);
    const blobs = await a.db.query('SELECT hash, refcount, pins FROM blobs');
    assert.ok(
      blobs.rows.every((r) => r.pins === 0),
      'no pin left behind',
    );
    assert.equal(blobs.rows.filter((r) => r.refcount > 0).length, final.inline ? 0 : 1);
  } finally {
    await cleanup();
  }
});

/**
 * Kills the backends of the pool's idle connections server-side while their sockets are paused, so
 * the pool has not noticed when the next query is sent: the query meets the dead connection.
 * Returns `resume`, to call once the next operation has been started.
 */
async function killIdleUnnoticed(store: PostgresHomeserverStore): Promise<() => void> {
  // Let the dead connections of an earlier round be noticed, then make sure several are idle.
  await new Promise((r) => setTimeout(r, 100));
  await Promise.all([1, 2, 3].map(() => store.db.query('SELECT 1', [], { retry: true })));
  // Let the NOTIFY wake-ups of earlier writes finish their polls, so no background query takes a
  // dead connection first (the store's fallback timer is off in this test).
  await new Promise((r) => setTimeout(r, 100));
  const idle = ((store.db.pool as any)._idle as any[]).map((x) => x.client ?? x);
  assert.ok(idle.length >= 1, 'idle pooled connections');
  for (const c of idle) c.connection.stream.pause();
  for (const c of idle) await adminQuery('SELECT pg_terminate_backend($1)', [c.processID]);
  await new Promise((r) => setTimeout(r, 30));
  // Resume once the next statement has been sent on one of the dead connections (or after 1 s).
  return () => {
    const started = Date.now();
    const poll = () => {
      if (idle.some((c) => c._activeQuery) || Date.now() - started > 1000) idle.forEach((c) => c.connection.stream.resume());
      else setTimeout(poll, 2);
    };
    setTimeout(poll, 2);
  };
}

test('a pooled connection killed while idle: the next operations reconnect and succeed', async () => {
  const { store, cleanup } = await tempPgStore({ pollIntervalMs: 600_000 });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    await store.files.put(u, '/pub/a', chunks('a'));

    // Without a retry, a statement that meets a dead connection surfaces as 503 DATABASE_UNAVAILABLE
    // (and nothing crashes). Which pooled connection the statement gets is up to the pool: under load
    // it may get a fresh one and succeed, so only those two outcomes are allowed. (The 503 mapping
    // itself is pinned down by the 'database down' test below, which cuts every connection.)
    let resume = await killIdleUnnoticed(store);
    let op: Promise<unknown> = store.db.query('SELECT 1 AS one', [], { retry: false });
    resume();
    const outcome = await op.then(
      (r) => ({ ok: (r as { rows: { one: number }[] }).rows[0]?.one === 1 }),
      (e: unknown) => ({ ok: e instanceof StorageError && e.status === 503 && e.code === 'DATABASE_UNAVAILABLE', e }),
    );
    assert.ok(
      outcome.ok,
      `a dead connection gives 503 DATABASE_UNAVAILABLE or a fresh connection answers: ${String((outcome as { e?: unknown }).e)}`,
    );

    resume = await killIdleUnnoticed(store);
    op = store.users.get(u);
    resume();
    assert.equal(((await op) as { publicKey: string }).publicKey, u, 'a read reconnects');

    resume = await killIdleUnnoticed(store);
    op = store.files.put(u, '/pub/b', chunks('b'));
    resume();
    await op;
    resume = await killIdleUnnoticed(store);
    op = store.files.delete(u, '/pub/a');
    resume();
    await op;
    assert.deepEqual(await store.files.list(u, '/pub/'), ['/pub/b'], 'write transactions are retried before COMMIT');
    // A statement the server refused (FATAL of the killed backend) provably did not run: retried.
    resume = await killIdleUnnoticed(store);
    op = store.db.query('SELECT 1 AS one', [], { retry: 'unexecuted' });
    resume();
    assert.equal(((await op) as { rows: { one: number }[] }).rows[0].one, 1);
    // A transaction whose BEGIN meets the dead connection is retried from scratch.
    const session = await store.sessions.create(u, '/:rw');
    resume = await killIdleUnnoticed(store);
    op = store.sessions.delete(session.secret);
    resume();
    assert.equal(await op, true);
    assert.equal(await store.sessions.getBySecret(session.secret), null);
    assert.equal((await store.users.get(u))!.usedBytes, 257, 'exactly once');
    assert.deepEqual(
      (await store.events.read({})).map((e) => `${e.type} ${e.path}`),
      ['PUT /pub/a', 'PUT /pub/b', 'DEL /pub/a'],
    );
  } finally {
    await cleanup();
  }
});

/** A TCP forwarder to PostgreSQL that can be cut (database down) and restored on the same port. */
async function cuttableProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await start();
  return {
    get port() {
      return port;
    },
    async cut() {
      const s = server!;
      server = null;
      for (const sock of sockets) sock.destroy();
      sockets.clear();
      await new Promise<void>((r) => s.close(() => r()));
    },
    start,
  };
}

test('database down: 503 DATABASE_UNAVAILABLE with a retry hint, no crash; back up: everything works', async () => {
  const url = new URL(TEST_DATABASE_URL);
  const proxy = await cuttableProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  const { store, open, cleanup } = await tempPgStore({ databaseUrl: url.toString(), connectTimeoutMs: 1000 });
  try {
    const direct = await open({ databaseUrl: TEST_DATABASE_URL });
    const u = randomUserKey();
    await store.users.create(u);
    await store.files.put(u, '/pub/a', chunks('a'));
    const seen: StoredEvent[] = [];
    store.events.bus.subscribe((e) => seen.push(e));

    await proxy.cut();
    const down = (e: unknown) =>
      e instanceof DatabaseUnavailableError && e.status === 503 && e.code === 'DATABASE_UNAVAILABLE' && (e.retryAfterSeconds ?? 0) > 0;
    await assert.rejects(store.users.get(u), down);
    await assert.rejects(store.files.put(u, '/pub/b', chunks('b')), down);
    await assert.rejects(store.files.get(u, '/pub/a'), down);
    await assert.rejects(store.sessions.create(u, '/:rw'), down);
    // Meanwhile another process (direct connection) keeps writing.
    await direct.files.put(u, '/pub/while-down', chunks('x'));

    await proxy.start();
    assert.equal((await store.users.get(u))?.publicKey, u);
    await store.files.put(u, '/pub/b', chunks('b'));
    assert.deepEqual(await store.files.list(u, '/pub/'), ['/pub/a', '/pub/b', '/pub/while-down']);
    // The event committed while this instance was cut off arrives (listener reconnect + poll), in order.
    await until(() => seen.length === 2, 5000, 'events after the outage');
    assert.deepEqual(
      seen.map((e) => e.path),
      ['/pub/while-down', '/pub/b'],
    );
  } finally {
    await cleanup();
    await proxy.cut().catch(() => undefined);
  }
});

test('several processes starting together run each migration once', async () => {
  const schema = randomSchema();
  const stores = await Promise.all(
    [0, 1, 2].map(() => openPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema, blobs: 'postgres', maxConnections: 2 })),
  );
  try {
    const { rows } = await stores[0].db.query('SELECT name FROM migrations ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.name),
      pgMigrations.map((m) => m.name),
    );
    assert.equal(rows[0].name, '0001-initial');
    const u = randomUserKey();
    await stores[1].users.create(u);
    assert.ok(await stores[2].users.get(u));
    // A database with a migration this code does not know is refused.
    await stores[0].db.query("INSERT INTO migrations (name) VALUES ('9999-from-the-future')");
    await assert.rejects(
      openPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema, blobs: 'postgres' }),
      /migrations this code does not know \(9999-from-the-future\)/,
    );
  } finally {
    for (const s of stores) await s.close();
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
});

test('byte-order listing with astral characters and shallow cursors (COLLATE "C")', async () => {
  const { store, cleanup } = await tempPgStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    for (const p of ['/pub/\uFF5E', '/pub/\u{1F600}', '/pub/\u{1F600}x/y']) await store.files.put(u, p, chunks('x'));
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true }), ['/pub/\uFF5E', '/pub/\u{1F600}', '/pub/\u{1F600}x/']);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/\uFF5E' }), ['/pub/\u{1F600}', '/pub/\u{1F600}x/']);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/\u{1F600}x/', reverse: true }), [
      '/pub/\u{1F600}',
      '/pub/\uFF5E',
    ]);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/\uFF5E' }), ['/pub/\u{1F600}', '/pub/\u{1F600}x/y']);
  } finally {
    await cleanup();
  }
});
