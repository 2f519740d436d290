import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake3, bytesToHex, mstEntries, mstRoot, privateTreeKey, publicTreeKey } from '@pubky-ts/common';
import { openHomeserverStore, type SqliteHomeserverStore } from '../open-store.ts';
import { chunks, putText, randomUserKey, tempStore } from '../../../test/storage-helpers.ts';
import { PRIVATE_SCOPE, PUBLIC_SCOPE, type TreeScope } from './scope.ts';

function userId(store: SqliteHomeserverStore, user: string): number {
  return (store.db.prepare('SELECT id FROM users WHERE public_key = ?').get(user) as { id: number }).id;
}

function versions(store: SqliteHomeserverStore, id: number, scope: TreeScope) {
  return store.db
    .prepare('SELECT version, root, prev_root FROM tree_versions WHERE user_id = ? AND scope = ? ORDER BY version')
    .all(id, scope) as { version: number; root: Buffer; prev_root: Buffer }[];
}

/** The committed tree's root equals the root rebuilt from the entries, and the versions chain. */
function assertConsistent(store: SqliteHomeserverStore, id: number, scope: TreeScope): void {
  const trees = store.writer.trees!;
  const current = trees.current(id, scope);
  const rebuilt = trees.load(id, scope, current.version);
  assert.equal(bytesToHex(mstRoot(current.tree)), bytesToHex(mstRoot(rebuilt.tree)));
  const rows = versions(store, id, scope);
  if (rows.length > 0) assert.equal(rows[rows.length - 1]!.root.toString('hex'), bytesToHex(mstRoot(current.tree)));
  rows.forEach((r, i) => {
    assert.equal(r.version, i + 1, 'versions are 1, 2, 3, ...');
    if (i > 0) assert.ok(r.prev_root.equals(rows[i - 1]!.root), 'each version names the root before it');
  });
}

test('writes and deletes under /pub/ and /priv/ keep each tree equal to its entries, one version per changing batch', async () => {
  const { store, cleanup } = await tempStore({ versioning: true });
  try {
    const user = randomUserKey();
    await store.users.create(user);
    const id = userId(store, user);
    // Concurrent writes land in shared group commits.
    await Promise.all(Array.from({ length: 60 }, (_, i) => putText(store, user, `/pub/app/${i}`, `v${i}`)));
    await Promise.all(Array.from({ length: 20 }, (_, i) => putText(store, user, `/priv/notes/${i}`, `secret ${i}`)));
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.files.delete(user, `/pub/app/${i * 2}`)));
    for (const scope of [PUBLIC_SCOPE, PRIVATE_SCOPE]) assertConsistent(store, id, scope);
    const pub = versions(store, id, PUBLIC_SCOPE);
    assert.ok(pub.length >= 2 && pub.length < 90, `${pub.length} versions for 90 writes in a few batches`);
    // Rewriting the same bytes changes no tree: no version.
    await putText(store, user, '/pub/app/1', 'v1');
    assert.equal(versions(store, id, PUBLIC_SCOPE).length, pub.length);
    // The public tree's leaf for a path binds its content hash and length.
    const leaf = [...mstEntries(store.writer.trees!.current(id, PUBLIC_SCOPE).tree)].find(
      (e) => bytesToHex(e.key) === bytesToHex(publicTreeKey('/pub/app/1')),
    )!;
    assert.equal(bytesToHex(leaf.value.hash), bytesToHex(await blake3(Buffer.from('v1'))));
    assert.equal(leaf.value.length, 2);
    // The private tree's keys are keyed hashes: no path bytes in it.
    const secret = store.writer.trees!.secret(id);
    const privKeys = [...mstEntries(store.writer.trees!.current(id, PRIVATE_SCOPE).tree)].map((e) => bytesToHex(e.key));
    assert.equal(privKeys.length, 20);
    assert.ok(privKeys.includes(bytesToHex(privateTreeKey(secret, '/priv/notes/3'))));
    assert.ok(privKeys.every((k) => k.length === 64));
  } finally {
    await cleanup();
  }
});

test('a batch where one write fails commits the others and the tree follows the committed entries only', async () => {
  const { store, cleanup } = await tempStore({ versioning: true });
  try {
    const user = randomUserKey();
    await store.users.create(user);
    const id = userId(store, user);
    await putText(store, user, '/pub/a/file', 'x');
    // In one group commit: writes that succeed and one that collides with a file (409).
    const results = await Promise.allSettled([
      putText(store, user, '/pub/b/1', '1'),
      putText(store, user, '/pub/a/file/under', 'collides'),
      putText(store, user, '/pub/b/2', '2'),
      store.files.delete(user, '/pub/none'),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
    assertConsistent(store, id, PUBLIC_SCOPE);
    assert.equal([...mstEntries(store.writer.trees!.current(id, PUBLIC_SCOPE).tree)].length, 3);
  } finally {
    await cleanup();
  }
});

test('two stores on one database (as two processes) each see the trees the other changed', async () => {
  const { store: a, dataDir, cleanup } = await tempStore({ versioning: true });
  const b = await openHomeserverStore({ dataDir, versioning: true });
  try {
    const user = randomUserKey();
    await a.users.create(user);
    const id = userId(a, user);
    for (let round = 0; round < 5; round++) {
      await putText(a, user, `/pub/x/a${round}`, 'a');
      await b.files.put(user, `/pub/x/b${round}`, chunks('b'));
      if (round > 0) await a.files.delete(user, `/pub/x/b${round - 1}`);
    }
    assertConsistent(a, id, PUBLIC_SCOPE);
    assertConsistent(b, id, PUBLIC_SCOPE);
    assert.equal(bytesToHex(mstRoot(a.writer.trees!.current(id, 0).tree)), bytesToHex(mstRoot(b.writer.trees!.current(id, 0).tree)));
    assert.equal(versions(a, id, PUBLIC_SCOPE).length, 14);
  } finally {
    await b.close();
    await cleanup();
  }
});

test('versioning off records nothing', async () => {
  const { store, cleanup } = await tempStore({ versioning: false });
  try {
    const user = randomUserKey();
    await store.users.create(user);
    await putText(store, user, '/pub/a', 'x');
    assert.equal(store.writer.trees, null);
    assert.equal((store.db.prepare('SELECT COUNT(*) AS n FROM tree_versions').get() as { n: number }).n, 0);
  } finally {
    await cleanup();
  }
});
