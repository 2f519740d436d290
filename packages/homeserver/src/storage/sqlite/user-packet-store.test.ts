import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomUserKey, tempStore } from '../test-helpers.ts';

test('packet custody keeps the newest packet per user and records outcomes', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const user = randomUserKey();
    assert.equal(await store.packets.save(user, Uint8Array.of(1), 10), false, 'unknown users have no custody');
    await store.users.create(user);
    assert.equal(await store.packets.get(user), null);
    assert.equal(await store.packets.save(user, Uint8Array.of(1, 2), 10), true);
    assert.equal(await store.packets.save(user, Uint8Array.of(9), 5), false, 'an older packet never replaces a newer one');
    assert.equal(await store.packets.save(user, Uint8Array.of(3), 11), true);
    await store.packets.report(user, { lastPublishedAt: 123, lastStoredAt: 7, visibleDht: true, lastError: null });
    const rec = await store.packets.get(user);
    assert.deepEqual(rec?.packet, Uint8Array.of(3));
    assert.equal(rec?.timestamp, 11);
    assert.equal(rec?.lastStoredAt, 7);
    assert.equal(rec?.visibleDht, true);
    assert.equal(rec?.lastError, null);
    const other = randomUserKey();
    await store.users.create(other);
    assert.deepEqual(await store.packets.listUsers({ limit: 10 }), [user, other].sort());
    assert.deepEqual(await store.packets.listUsers({ limit: 10, after: [user, other].sort()[0] }), [[user, other].sort()[1]]);
    await store.users.delete(user);
    assert.equal(await store.packets.get(user), null, 'account deletion removes custody');
  } finally {
    await cleanup();
  }
});
