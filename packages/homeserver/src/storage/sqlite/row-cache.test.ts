import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chunks, randomUserKey, tempStore } from '../../../test/storage-helpers.ts';
import { FILE_OVERHEAD_BYTES } from '../quota.ts';
import type { AuthStamp, UserRecord } from '../types.ts';

type Store = Awaited<ReturnType<typeof tempStore>>['store'];
/** Session and user as `peekBySecretWithUser` returns them. */
type Peeked = { user: UserRecord; stamp: AuthStamp };

/** A small PUT authorised with records from memory, as the HTTP route's optimistic attempt sends it. */
function stampedPut(store: Store, user: string, path: string, body: string, p: Peeked) {
  return store.files.put(user, path, chunks(body), { sizeHint: body.length, authority: { user: p.user, stamp: p.stamp } });
}

test('cached users follow every write: admin updates, usage, direct SQL, deletion', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const first = await store.users.get(u);
    assert.equal(first?.disabled, false);
    assert.equal(store.caches.size.users, 1, 'cached after the first lookup');
    assert.equal(await store.users.get(u), first, 'second lookup is served from the cache');
    assert.throws(
      () => {
        (first as { disabled: boolean }).disabled = true;
      },
      TypeError,
      'shared records are frozen',
    );

    await store.users.setDisabled(u, true);
    assert.equal((await store.users.get(u))?.disabled, true, 'setDisabled invalidates');
    await store.users.setDisabled(u, false);
    await store.users.setQuota(u, { storageQuotaMb: 1, allowedWritePaths: ['/pub/ok/'] });
    const q = await store.users.get(u);
    assert.equal(q?.storageQuotaMb, 1);
    assert.deepEqual(q?.allowedWritePaths, ['/pub/ok/']);

    await store.files.put(u, '/pub/ok/a', chunks(Buffer.alloc(1000)));
    assert.equal((await store.users.get(u))?.usedBytes, 1256, 'a committed write updates used bytes');
    await store.files.delete(u, '/pub/ok/a');
    assert.equal((await store.users.get(u))?.usedBytes, 0, 'a delete refunds');

    store.db.prepare('UPDATE users SET disabled = 1 WHERE public_key = ?').run(u);
    assert.equal((await store.users.get(u))?.disabled, true, 'direct SQL on the same connection invalidates');

    await store.users.delete(u);
    assert.equal(await store.users.get(u), null, 'deleted user is gone');
    await store.users.create(u);
    assert.equal((await store.users.get(u))?.disabled, false, 're-created user is fresh');
  } finally {
    await cleanup();
  }
});

test('cached users and sessions follow writes by another connection (data_version)', async () => {
  const { store, dataDir, cleanup } = await tempStore();
  const other = new Database(join(dataDir, 'homeserver.sqlite'));
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const s = await store.sessions.create(u, '/:rw');
    assert.equal((await store.sessions.getBySecret(s.secret))?.id, s.id);
    assert.equal((await store.users.get(u))?.disabled, false);
    assert.equal(store.caches.size.sessions, 1);

    other.prepare('UPDATE users SET disabled = 1, quota_storage_mb = 7 WHERE public_key = ?').run(u);
    const after = await store.users.get(u);
    assert.equal(after?.disabled, true, 'disabled by another process');
    assert.equal(after?.storageQuotaMb, 7);

    other.prepare('DELETE FROM sessions WHERE secret = ?').run(s.secret);
    assert.equal(await store.sessions.getBySecret(s.secret), null, 'session deleted by another process');
  } finally {
    other.close();
    await cleanup();
  }
});

test('a revoked or cascaded-away cookie session is never served from the cache', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const a = await store.sessions.create(u, '/:rw');
    const b = await store.sessions.create(u, '/pub/:r');
    assert.equal((await store.sessions.getBySecret(a.secret))?.capabilities, '/:rw');
    assert.equal((await store.sessions.getBySecret(b.secret))?.capabilities, '/pub/:r');
    const revoked: number[] = [];
    store.revocations.subscribe((r) => r.kind === 'cookie_session' && revoked.push(r.id));
    assert.equal(await store.sessions.delete(a.secret), true);
    assert.deepEqual(revoked, [a.id]);
    assert.equal(await store.sessions.getBySecret(a.secret), null, 'signed-out session');
    assert.ok(await store.sessions.getBySecret(b.secret), 'the other session stays');

    store.db.prepare('DELETE FROM sessions WHERE secret = ?').run(b.secret);
    assert.equal(await store.sessions.getBySecret(b.secret), null, 'direct SQL delete');

    const c = await store.sessions.create(u, '/:rw');
    assert.ok(await store.sessions.getBySecret(c.secret));
    await store.users.delete(u);
    assert.equal(await store.sessions.getBySecret(c.secret), null, 'account deletion');
  } finally {
    await cleanup();
  }
});

test('nothing read inside an open transaction is cached (it could roll back)', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const run = store.db.transaction(() => {
      store.db.prepare('UPDATE users SET disabled = 1 WHERE public_key = ?').run(u);
      assert.equal(store.caches.user(u)?.disabled, true);
      throw new Error('roll back');
    });
    assert.throws(() => run(), /roll back/);
    assert.equal((await store.users.get(u))?.disabled, false, 'the rolled-back value was not kept');
  } finally {
    await cleanup();
  }
});

test('cached small files follow overwrites, deletes, account deletion and other connections', async () => {
  const { store, dataDir, cleanup } = await tempStore();
  const other = new Database(join(dataDir, 'homeserver.sqlite'));
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const text = async (p: string) => {
      const g = await store.files.get(u, p);
      return g ? Buffer.from(g.inline!).toString() : null;
    };
    await store.files.put(u, '/pub/a', chunks('one'));
    assert.equal(await text('/pub/a'), 'one');
    assert.equal(store.caches.size.files, 1, 'cached after the first read');
    const first = await store.files.get(u, '/pub/a');
    assert.equal(first?.entry, (await store.files.get(u, '/pub/a'))?.entry, 'served from the cache');

    await store.files.put(u, '/pub/a', chunks('two'));
    assert.equal(await text('/pub/a'), 'two', 'overwrite');
    assert.equal((await store.files.get(u, '/pub/a'))?.entry.etag, (await store.files.head(u, '/pub/a'))?.etag);
    await store.files.delete(u, '/pub/a');
    assert.equal(await text('/pub/a'), null, 'delete');

    await store.files.put(u, '/pub/b', chunks('bee'));
    assert.equal(await text('/pub/b'), 'bee');
    store.db.prepare("UPDATE entries SET inline_data = CAST('sql' AS BLOB) WHERE path = '/pub/b'").run();
    assert.equal(await text('/pub/b'), 'sql', 'direct SQL on the same connection');
    other.prepare("UPDATE entries SET inline_data = CAST('elsewhere' AS BLOB) WHERE path = '/pub/b'").run();
    assert.equal(await text('/pub/b'), 'elsewhere', 'another connection');

    assert.equal(await text('/pub/b'), 'elsewhere');
    await store.users.delete(u);
    assert.equal(await text('/pub/b'), null, 'account deleted');
    await store.users.create(u);
    assert.equal(await text('/pub/b'), null, 're-registered key starts empty');
    await store.files.put(u, '/pub/b', chunks('new'));
    assert.equal(await text('/pub/b'), 'new');
    assert.equal(await store.files.get(randomUserKey(), '/pub/b'), null, 'unknown user');
  } finally {
    other.close();
    await cleanup();
  }
});

test('writes authorised from memory (a stamped authority) commit only while the session and its user are unchanged', async () => {
  const { store, dataDir, cleanup } = await tempStore();
  const other = new Database(join(dataDir, 'homeserver.sqlite'));
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const s = await store.sessions.create(u, '/:rw');
    const peek = async () => {
      assert.ok(await store.sessions.getBySecretWithUser!(s.secret), 'checked lookup fills the caches');
      const p = store.sessions.peekBySecretWithUser!(s.secret);
      assert.ok(p, 'both held in memory');
      return p;
    };
    const put = (path: string, p: Peeked) => stampedPut(store, u, path, 'x', p);
    const stale = (e: unknown) =>
      e instanceof Error && (e as { code?: string }).code === 'STALE_AUTH' && (e as { status?: number }).status === 503;

    const p1 = await peek();
    await put('/pub/a', p1);
    // The first write's usage update changes nothing the stamp vouches for.
    await put('/pub/b', p1);

    // Another process disables the user: a stamp from before is refused at commit, nothing written.
    const p2 = await peek();
    other.prepare('UPDATE users SET disabled = 1 WHERE public_key = ?').run(u);
    await assert.rejects(put('/pub/c', p2), stale);
    assert.equal(await store.files.head(u, '/pub/c'), null);
    other.prepare('UPDATE users SET disabled = 0 WHERE public_key = ?').run(u);

    // The same through this connection: a user change, a session change.
    const p3 = await peek();
    assert.equal(await store.users.setDisabled(u, true), true);
    await assert.rejects(put('/pub/d', p3), stale);
    assert.equal(await store.users.setDisabled(u, false), true);
    // A change that changes nothing (disabled was already false) leaves the stamp good.
    const p3b = await peek();
    assert.equal(await store.users.setDisabled(u, false), true);
    await put('/pub/d2', p3b);
    // An operator narrowing where the user may write (another field the policy layer read).
    const p3c = await peek();
    assert.ok(await store.users.setQuota(u, { allowedWritePaths: ['/pub/only/'] }));
    await assert.rejects(put('/pub/f', p3c), stale);
    assert.equal(await store.files.head(u, '/pub/f'), null);
    assert.ok(await store.users.setQuota(u, { allowedWritePaths: null }));
    const p4 = await peek();
    assert.equal(await store.sessions.delete(s.secret), true);
    await assert.rejects(put('/pub/e', p4), stale);
    assert.equal(await store.files.head(u, '/pub/d'), null);
    assert.equal(await store.files.head(u, '/pub/e'), null);
    assert.ok(await store.files.head(u, '/pub/b'));
  } finally {
    other.close();
    await cleanup();
  }
});

test('a batch of writes authorised from memory leaves their user in memory, with the usage it committed', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const s = await store.sessions.create(u, '/:rw');
    assert.ok(await store.sessions.getBySecretWithUser!(s.secret), 'checked lookup fills the caches');
    const p = store.sessions.peekBySecretWithUser!(s.secret)!;
    const put = (path: string, body: string, q: Peeked) => stampedPut(store, u, path, body, q);
    const usedInDb = () => store.db.prepare('SELECT used_bytes FROM users WHERE public_key = ?').pluck().get(u) as number;

    // One batch (one turn of the event loop), with a write that fails (a file under a file) and is
    // rolled back alone.
    const results = await Promise.allSettled([put('/pub/a', 'xy', p), put('/pub/a/x', 'no', p), put('/pub/b', 'xyz', p)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(usedInDb(), 5 + 2 * FILE_OVERHEAD_BYTES);
    const after = store.sessions.peekBySecretWithUser!(s.secret);
    assert.ok(after, 'the usage UPDATE did not leave the user out of memory');
    assert.notEqual(after.user, p.user, 'a new record');
    assert.equal(after.user.usedBytes, usedInDb(), 'with the usage as committed');
    assert.equal(after.user.disabled, false);
    assert.throws(() => ((after.user as { usedBytes: number }).usedBytes = 0), TypeError, 'frozen like every shared record');

    // Its stamp commits, and the next batch refreshes it again.
    await put('/pub/c', 'z', after);
    assert.equal(store.sessions.peekBySecretWithUser!(s.secret)!.user.usedBytes, usedInDb());
    assert.equal(usedInDb(), 6 + 3 * FILE_OVERHEAD_BYTES);
  } finally {
    await cleanup();
  }
});
