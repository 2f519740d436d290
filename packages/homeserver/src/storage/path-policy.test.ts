import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from './errors.ts';
import { writeAllowed } from './path-policy.ts';
import { chunks, putText, randomUserKey, tempStore } from './test-helpers.ts';

function isErr(code: string, status: number, message?: string) {
  return (err: unknown) =>
    err instanceof StorageError && err.code === code && err.status === status && (message === undefined || err.message === message);
}

test('writeAllowed: directory entries by prefix, files exactly, [] read-only, null unrestricted', () => {
  assert.equal(writeAllowed(null, '/pub/x'), true);
  assert.equal(writeAllowed([], '/pub/x'), false);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/app/a/b'), true);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/apps/a'), false);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/app'), false);
  assert.equal(writeAllowed(['/pub/f.txt'], '/pub/f.txt'), true);
  assert.equal(writeAllowed(['/pub/f.txt'], '/pub/f.txt2'), false);
});

test('roots, file-shaped targets, unknown and disabled users, allowed paths', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const forbidden = "Writing to directories other than '/pub/' and '/priv/' is forbidden";
    for (const p of ['/foo', '/priv', '/privstuff/x', '/pubx/y']) {
      await assert.rejects(putText(store, u, p, 'x'), isErr('write_forbidden_root', 403, forbidden), p);
    }
    await assert.rejects(store.files.delete(u, '/other/x'), isErr('write_forbidden_root', 403));
    await assert.rejects(store.files.get(u, '/other/x'), isErr('read_forbidden_root', 403));
    await assert.rejects(store.files.list(u, '/'), isErr('read_forbidden_root', 403));
    await assert.rejects(putText(store, u, '/pub/dir/', 'x'), isErr('not_a_file', 400));
    await assert.rejects(putText(store, randomUserKey(), '/pub/x', 'x'), isErr('user_not_found', 404));
    await assert.rejects(store.files.delete(randomUserKey(), '/pub/x'), isErr('user_not_found', 404));

    await putText(store, u, '/pub/keep', 'x');
    await putText(store, u, '/priv/keep', 'x');
    await store.users.setDisabled(u, true);
    await assert.rejects(putText(store, u, '/pub/x', 'x'), isErr('user_disabled', 403, 'User is disabled'));
    assert.ok(await store.files.get(u, '/pub/keep'), 'reads still work');
    await store.files.delete(u, '/priv/keep'); // deletes are allowed for disabled users
    await store.files.put(u, '/pub/admin-write', chunks('x'), { admin: true });
    await store.users.setDisabled(u, false);

    await store.users.setQuota(u, { allowedWritePaths: ['/pub/app/', '/pub/one.txt'] });
    await putText(store, u, '/pub/app/a/b', 'x');
    await putText(store, u, '/pub/one.txt', 'x');
    await assert.rejects(putText(store, u, '/pub/two.txt', 'x'), isErr('write_path_not_allowed', 403, 'Write to this path is not allowed'));
    await assert.rejects(store.files.delete(u, '/pub/keep'), isErr('write_path_not_allowed', 403));
    await store.files.delete(u, '/pub/keep', { admin: true });
    await store.users.setQuota(u, { allowedWritePaths: [] });
    await assert.rejects(putText(store, u, '/pub/app/c', 'x'), isErr('write_path_not_allowed', 403));
    await store.users.setQuota(u, { allowedWritePaths: null });
    await putText(store, u, '/pub/anything', 'x');
  } finally {
    await cleanup();
  }
});

test('policy order: root before user, disabled before quota, quota before collision', async () => {
  const { store, cleanup } = await tempStore({ defaultQuotaMb: 0 });
  try {
    const u = randomUserKey();
    await assert.rejects(putText(store, u, '/etc/x', 'x'), isErr('write_forbidden_root', 403));
    await store.users.create(u, { quota: { storageQuotaMb: -1 } });
    await putText(store, u, '/pub/a', 'x');
    await store.users.setQuota(u, { storageQuotaMb: 0 });
    await assert.rejects(store.files.put(u, '/pub/a/b', chunks('x'), { sizeHint: 1 }), isErr('quota_exceeded', 507));
    await store.users.setDisabled(u, true);
    await assert.rejects(store.files.put(u, '/pub/a/b', chunks('x'), { sizeHint: 1 }), isErr('user_disabled', 403));
  } finally {
    await cleanup();
  }
});

test('aborted upload commits nothing and leaves no temp file', async () => {
  const { store, dataDir, cleanup } = await tempStore({ inlineThreshold: 4 });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const ac = new AbortController();
    async function* body() {
      yield Buffer.alloc(100, 1);
      ac.abort();
      yield Buffer.alloc(100, 2);
    }
    await assert.rejects(store.files.put(u, '/pub/x', body(), { signal: ac.signal }));
    async function* failing() {
      yield Buffer.alloc(100, 1);
      throw new Error('client went away');
    }
    await assert.rejects(store.files.put(u, '/pub/y', failing()), /client went away/);
    assert.equal(await store.files.head(u, '/pub/x'), null);
    assert.equal(await store.files.head(u, '/pub/y'), null);
    assert.equal((await store.users.get(u))!.usedBytes, 0);
    const { readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    assert.deepEqual(readdirSync(join(dataDir, 'blobs', 'tmp')), []);
    assert.equal(await store.events.latestId(), 0);
  } finally {
    await cleanup();
  }
});
