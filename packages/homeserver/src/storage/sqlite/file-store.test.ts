// The store's behaviour (round trips, quota, collisions, listings, blobs…) is tested by the shared
// suite (test/postgres/store-suite.ts), which runs against SQLite too; these tests are SQLite-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '../errors.ts';
import { chunks, putText, randomUserKey, tempStore } from '../../../test/storage-helpers.ts';

function isCode(code: string, status: number) {
  return (err: unknown) => err instanceof StorageError && err.code === code && err.status === status;
}

test('collisions stay exact while ancestors are remembered as directories: own writes, admin writes, other connections, rollbacks', async () => {
  const { store, dataDir, cleanup } = await tempStore();
  const writer = store.writer;
  const other = new Database(join(dataDir, 'homeserver.sqlite'));
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const id = (await store.users.get(u))!.id;
    // /pub, /pub/m and /pub/m/a are learnt as holding no entry…
    await putText(store, u, '/pub/m/a/f1', 'x');
    assert.ok(writer.isKnownNonFile(id, '/pub/m/a'));
    // …until one of them becomes a file: through the store,
    await store.files.delete(u, '/pub/m/a/f1');
    await putText(store, u, '/pub/m/a', 'now a file');
    assert.equal(writer.isKnownNonFile(id, '/pub/m/a'), false);
    await assert.rejects(putText(store, u, '/pub/m/a/f2', 'x'), isCode('PATH_COLLISION', 409));
    // through an admin write (admin writes skip the collision check), seen by the commit-time check,
    await putText(store, u, '/pub/s/t/f', 'x');
    await store.files.delete(u, '/pub/s/t/f');
    await store.files.put(u, '/pub/s/t', chunks('x'), { admin: true });
    assert.equal(writer.isKnownNonFile(id, '/pub/s/t'), false);
    const known = (await store.users.get(u))!;
    await assert.rejects(
      store.rawFiles.put(u, '/pub/s/t/g', chunks('x'), { authority: { user: known }, sizeHint: 1 }),
      isCode('PATH_COLLISION', 409),
    );
    // and through another connection (another process), seen through data_version.
    await putText(store, u, '/pub/o/p/f', 'x');
    other.prepare('DELETE FROM entries WHERE user_id = ? AND path = ?').run(id, '/pub/o/p/f');
    other
      .prepare(
        "INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at) VALUES (?, '/pub/o/p', zeroblob(32), 0, 'text/plain', x'', 0, 0)",
      )
      .run(id);
    await assert.rejects(putText(store, u, '/pub/o/p/g', 'x'), isCode('PATH_COLLISION', 409));
    // The same, with the writer's record passed in (no lookup, hence no data_version check, before
    // the commit): the commit-time check itself sees the other connection's write.
    await putText(store, u, '/pub/v/w/f', 'x');
    const record = (await store.users.get(u))!;
    other.prepare('DELETE FROM entries WHERE user_id = ? AND path = ?').run(id, '/pub/v/w/f');
    other
      .prepare(
        "INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at) VALUES (?, '/pub/v/w', zeroblob(32), 0, 'text/plain', x'', 0, 0)",
      )
      .run(id);
    await assert.rejects(
      store.rawFiles.put(u, '/pub/v/w/g', chunks('x'), { authority: { user: record }, sizeHint: 1 }),
      isCode('PATH_COLLISION', 409),
    );
    // A batch rolled back after a job learnt an ancestor as empty forgets it: here the first pass
    // deletes /pub/r, a PUT under it learns /pub/r as empty, a third job fails; on the second pass
    // (savepoints) nothing deletes /pub/r, so the PUT collides, and so must a later one.
    await putText(store, u, '/pub/r', 'file');
    const deleteR = store.db.prepare('DELETE FROM entries WHERE user_id = ? AND path = ?');
    let pass = 0;
    const queued = (): number => (writer.committer as unknown as { queue: unknown[] }).queue.length;
    const first = writer.committer.submit(() => {
      if (++pass === 1) deleteR.run(id, '/pub/r');
    });
    // A declared small size: no early collision check, only the one at commit time.
    const put = store.files.put(u, '/pub/r/x', chunks('x'), { sizeHint: 1 });
    // The PUT stages its body over a few microtasks; its job must be queued before the failing one.
    for (let i = 0; i < 1000 && queued() < 2; i++) await Promise.resolve();
    assert.equal(queued(), 2, 'the PUT is in the same batch');
    const third = writer.committer.submit(() => {
      if (pass === 1) throw new Error('fails on the first pass only');
    });
    const [firstR, putR, thirdR] = await Promise.allSettled([first, put, third]);
    assert.equal(pass, 2, 'the batch ran twice');
    assert.equal(firstR.status, 'fulfilled');
    assert.equal(thirdR.status, 'fulfilled');
    assert.equal(putR.status, 'rejected');
    assert.ok(isCode('PATH_COLLISION', 409)((putR as PromiseRejectedResult).reason));
    assert.equal(writer.isKnownNonFile(id, '/pub/r'), false);
    await assert.rejects(putText(store, u, '/pub/r/y', 'x'), isCode('PATH_COLLISION', 409));
    // Plain writes under known directories still succeed and are found.
    await putText(store, u, '/pub/m/b/c', 'y');
    assert.ok(await store.files.head(u, '/pub/m/b/c'));
  } finally {
    other.close();
    await cleanup();
  }
});

test('usage summed per batch: mixed puts, overwrites, deletes and a failing job in one commit', async () => {
  const { store, cleanup } = await tempStore({ defaultQuotaMb: 1 });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    await putText(store, u, '/pub/keep', 'k'.repeat(100));
    await putText(store, u, '/pub/gone', 'g'.repeat(50));
    await putText(store, u, '/pub/dir/file', 'f');
    const before = store.writer.commits;
    const lastId = (await store.events.read({ reverse: true, limit: 1 }))[0]!.id;
    const published: { id: number; type: string; path: string }[] = [];
    const unsubscribe = store.events.bus.subscribe((e) => published.push({ id: e.id, type: e.type, path: e.path }));
    const results = await Promise.allSettled([
      putText(store, u, '/pub/new', 'n'.repeat(10)),
      putText(store, u, '/pub/dir', 'collides'),
      store.files.delete(u, '/pub/gone'),
      putText(store, u, '/pub/keep', 'k'.repeat(30)),
      store.files.put(u, '/pub/huge', chunks(Buffer.alloc(1_048_576 - 600))),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected'],
    );
    assert.ok(store.writer.commits - before <= 2, 'the small writes shared a commit');
    const expected = 30 + 256 + (1 + 256) + (10 + 256);
    assert.equal((await store.users.get(u))!.usedBytes, expected);
    const row = store.db.prepare('SELECT used_bytes FROM users WHERE public_key = ?').pluck().get(u);
    assert.equal(row, expected, 'stored value');
    // The batch's events (inserted together before COMMIT): only the writes that committed,
    // numbered on from the last id, published in id order with the ids they were stored under.
    unsubscribe();
    const stored = (await store.events.read({ cursor: lastId })).map((e) => ({ id: e.id, type: e.type, path: e.path }));
    assert.deepEqual(
      stored.map((e) => e.id),
      [lastId + 1, lastId + 2, lastId + 3],
    );
    assert.deepEqual(stored.map((e) => `${e.type} ${e.path}`).sort(), ['DEL /pub/gone', 'PUT /pub/keep', 'PUT /pub/new']);
    assert.deepEqual(published, stored);
  } finally {
    await cleanup();
  }
});

test('a batch of more events than one INSERT takes: every id once, consecutive, published as stored', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const published: { id: number; path: string }[] = [];
    const unsubscribe = store.events.bus.subscribe((e) => published.push({ id: e.id, path: e.path }));
    const before = store.writer.commits;
    await Promise.all(Array.from({ length: 75 }, (_, i) => putText(store, u, `/pub/many/${i}`, String(i))));
    assert.equal(store.writer.commits - before, 1, 'one batch');
    unsubscribe();
    const stored = (await store.events.read({ limit: 1000 })).map((e) => ({ id: e.id, path: e.path }));
    assert.equal(stored.length, 75);
    assert.deepEqual(
      stored.map((e) => e.id),
      Array.from({ length: 75 }, (_, i) => stored[0]!.id + i),
    );
    assert.deepEqual(new Set(stored.map((e) => e.path)).size, 75);
    assert.deepEqual(published, stored);
  } finally {
    await cleanup();
  }
});

test('listing cursors compare in byte order, also for characters above U+FFFF', async () => {
  const { store, cleanup } = await tempStore();
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
