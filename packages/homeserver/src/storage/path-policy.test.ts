// Roots, file-shaped targets, users and the policy order are tested by the shared store suite
// (test/postgres/store-suite.ts, also run against SQLite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeAllowed } from './path-policy.ts';
import { randomUserKey, tempStore } from './test-helpers.ts';

test('writeAllowed: directory entries by prefix, files exactly, [] read-only, null unrestricted', () => {
  assert.equal(writeAllowed(null, '/pub/x'), true);
  assert.equal(writeAllowed([], '/pub/x'), false);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/app/a/b'), true);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/apps/a'), false);
  assert.equal(writeAllowed(['/pub/app/'], '/pub/app'), false);
  assert.equal(writeAllowed(['/pub/f.txt'], '/pub/f.txt'), true);
  assert.equal(writeAllowed(['/pub/f.txt'], '/pub/f.txt2'), false);
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
