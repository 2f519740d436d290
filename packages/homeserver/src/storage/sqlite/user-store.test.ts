import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../errors.ts';
import { chunks, collect, putText, randomUserKey, tempStore } from '../test-helpers.ts';
import type { Revocation } from '../types.ts';

test('users: create, duplicate, disable, quota patch, stats', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    const rec = await store.users.create(u, { quota: { storageQuotaMb: 10, rateRead: '1mb/s' } });
    assert.equal(rec.publicKey, u);
    assert.equal(rec.disabled, false);
    assert.equal(rec.usedBytes, 0);
    assert.equal(rec.storageQuotaMb, 10);
    assert.equal(rec.rateRead, '1mb/s');
    assert.equal(rec.allowedWritePaths, null);
    await assert.rejects(store.users.create(u), (e) => e instanceof StorageError && e.code === 'user_exists');
    assert.equal(await store.users.setDisabled(u, true), true);
    assert.equal(await store.users.setDisabled(randomUserKey(), true), false);
    const patched = await store.users.setQuota(u, { rateRead: null, rateWriteBurst: 3, allowedWritePaths: [] });
    assert.equal(patched?.storageQuotaMb, 10, 'absent fields kept');
    assert.equal(patched?.rateRead, null, 'null resets');
    assert.equal(patched?.rateWriteBurst, 3);
    assert.deepEqual(patched?.allowedWritePaths, []);
    assert.equal(await store.users.setQuota(randomUserKey(), { storageQuotaMb: 1 }), null);
    // A corrupt stored allowed_write_paths fails closed (read-only).
    store.db.prepare("UPDATE users SET allowed_write_paths = 'not json' WHERE public_key = ?").run(u);
    assert.deepEqual((await store.users.get(u))?.allowedWritePaths, []);

    const v = randomUserKey();
    await store.users.create(v);
    await store.users.setQuota(u, { allowedWritePaths: null });
    await store.files.put(u, '/pub/a', chunks(Buffer.alloc(100)), { admin: true });
    assert.deepEqual(await store.users.stats(), { numUsers: 2, numDisabledUsers: 1, totalUsedBytes: 356 });
  } finally {
    await cleanup();
  }
});

test('account deletion removes entries, blobs, events, sessions, grants and publishes revocations', async () => {
  const { store, dataDir, cleanup } = await tempStore({ inlineThreshold: 10 });
  try {
    const u = randomUserKey();
    const keep = randomUserKey();
    await store.users.create(u);
    await store.users.create(keep);
    await putText(store, u, '/pub/big1', 'a long enough body for a blob file');
    await putText(store, u, '/pub/big2', 'another long body for a blob file!');
    await putText(store, u, '/pub/small', 'tiny');
    await putText(store, keep, '/pub/shared', 'a long enough body for a blob file'); // same blob as u's big1
    const s = await store.sessions.create(u, '/:rw');
    await store.grants.upsert({ id: 'gid', user: u, clientId: 'c', clientCnfKey: keep, capabilities: '/:rw', issuedAt: 1, expiresAt: 2e9 });
    const { token } = await store.grants.mintSession('gid', 2e9);
    const revoked: Revocation[] = [];
    store.revocations.subscribe((r) => revoked.push(r));

    assert.equal(await store.users.delete(u), true);
    assert.equal(await store.users.delete(u), false);
    assert.equal(await store.users.get(u), null);
    assert.equal(await store.files.get(u, '/pub/small'), null);
    assert.equal(await store.files.list(u, '/pub/'), null);
    assert.equal(await store.sessions.getBySecret(s.secret), null);
    assert.equal(await store.grants.resolveBearer(token, 1000), null);
    assert.equal(await store.grants.get('gid'), null);
    assert.deepEqual((await store.events.read({})).map((e) => e.user), [keep]);
    assert.deepEqual(revoked, [{ kind: 'cookie_session', id: s.id }, { kind: 'grant', id: 'gid' }]);
    for (const t of ['entries', 'sessions', 'grants', 'grant_sessions']) {
      const n = (store.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
      assert.equal(n, t === 'entries' ? 1 : 0, t);
    }
    const blobFiles = readdirSync(join(dataDir, 'blobs'), { recursive: true }).filter((n) => /[0-9a-f]{64}$/.test(String(n)));
    assert.equal(blobFiles.length, 1, 'the shared blob survives, the other is unlinked');
    assert.equal((await collect((await store.files.get(keep, '/pub/shared'))!.body)).toString(), 'a long enough body for a blob file');
    assert.deepEqual(await store.users.stats(), { numUsers: 1, numDisabledUsers: 0, totalUsedBytes: 34 + 256 });
  } finally {
    await cleanup();
  }
});
