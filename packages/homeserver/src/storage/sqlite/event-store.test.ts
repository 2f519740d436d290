import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredEvent } from '../types.ts';
import { putText, randomUserKey, tempStore } from '../test-helpers.ts';

test('events: PUT/DEL recorded in order, filters, per-user cursors, feed, bus after commit', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const a = randomUserKey();
    const b = randomUserKey();
    await store.users.create(a);
    await store.users.create(b);
    const live: StoredEvent[] = [];
    const unsubscribe = store.events.bus.subscribe((e) => {
      // Published after commit: the event is already readable.
      assert.ok(store.db.prepare('SELECT 1 FROM events WHERE id = ?').get(e.id));
      live.push(e);
    });
    await putText(store, a, '/pub/app/1', 'x'); // 1
    await putText(store, b, '/pub/app/1', 'y'); // 2
    await putText(store, a, '/priv/s', 'z'); // 3
    await putText(store, a, '/pub/app%/2', 'w'); // 4
    await putText(store, a, '/pub/apx/3', 'w'); // 5
    await store.files.delete(a, '/pub/app/1'); // 6
    unsubscribe();
    await putText(store, a, '/pub/after', 'x'); // 7
    assert.deepEqual(live.map((e) => e.id), [1, 2, 3, 4, 5, 6]);

    const all = await store.events.read({});
    assert.deepEqual(all.map((e) => `${e.id} ${e.type} ${e.user === a ? 'a' : 'b'} ${e.path}`), [
      '1 PUT a /pub/app/1', '2 PUT b /pub/app/1', '3 PUT a /priv/s', '4 PUT a /pub/app%/2', '5 PUT a /pub/apx/3',
      '6 DEL a /pub/app/1', '7 PUT a /pub/after',
    ]);
    assert.equal(all[0].contentHash?.length, 32);
    assert.equal(all[5].contentHash, null);

    const ids = async (q: Parameters<typeof store.events.read>[0]) => (await store.events.read(q)).map((e) => e.id);
    assert.deepEqual(await ids({ publicOnly: true }), [1, 2, 4, 5, 6, 7]);
    assert.deepEqual(await ids({ users: [{ user: a }] }), [1, 3, 4, 5, 6, 7]);
    assert.deepEqual(await ids({ users: [{ user: a, cursor: 3 }, { user: b }] }), [2, 4, 5, 6, 7]);
    assert.deepEqual(await ids({ users: [{ user: a, cursor: 4 }], reverse: true }), [3, 1]);
    assert.deepEqual(await ids({ reverse: true, limit: 2 }), [7, 6]);
    assert.deepEqual(await ids({ cursor: 5 }), [6, 7]);
    assert.deepEqual(await ids({ paths: ['/pub/app/'] }), [1, 2, 6], "prefix match, '%' is literal");
    assert.deepEqual(await ids({ paths: ['/pub/app%/'] }), [4]);
    assert.deepEqual(await ids({ paths: ['/pub/app/1', '/priv/'] }), [1, 2, 3, 6]);
    assert.deepEqual(await ids({ paths: ['/pub/app'] }), [], 'exact file match only');
    assert.deepEqual(await ids({ users: [{ user: randomUserKey() }] }), []);
    assert.deepEqual(await ids({ users: [] }), []);
    assert.deepEqual(await ids({ limit: 3 }), [1, 2, 3]);

    assert.deepEqual((await store.events.feed(0, 100)).map((e) => e.id), [1, 2, 4, 5, 6, 7]);
    assert.deepEqual((await store.events.feed(4, 2)).map((e) => e.id), [5, 6]);
    assert.equal(await store.events.latestId(), 7);
    assert.equal(await store.events.idAtCreatedAt(all[2].createdAt), 3);
    assert.equal(await store.events.idAtCreatedAt(1), null);
  } finally {
    await cleanup();
  }
});
