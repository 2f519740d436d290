// The mirror state table in both storage profiles: replace semantics, generation-guarded progress,
// leases, and the row following its user's deletion.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { openHomeserverStore } from '../src/storage/open-store.ts';
import type { HomeserverStore } from '../src/storage/types.ts';
import { SealedMirrorStore } from '../src/mirror/sealed-mirror-store.ts';
import { SqliteMirrorStore } from '../src/mirror/sqlite-mirror-store.ts';
import type { SqliteHomeserverStore } from '../src/storage/open-store.ts';
import { tempDir } from './helpers.ts';
import { tempPgStore } from './postgres/pg-helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function sqlite(): Promise<HomeserverStore> {
  const dir = tempDir('mirror-store-');
  const store = await openHomeserverStore({ dataDir: dir });
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

async function postgres(): Promise<HomeserverStore> {
  const { store, cleanup } = await tempPgStore();
  cleanups.push(cleanup);
  return store;
}

for (const [name, open] of [
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
] as const) {
  describe(`mirror store (${name})`, () => {
    test('put, replace, progress by generation, leases, delete, cascade', async () => {
      const store = await open();
      const mirrors = new SealedMirrorStore(store.mirrors, Keypair.random().secretKey);
      assert.ok(mirrors);
      const user = Keypair.random().publicKey.z32;
      const primary = Keypair.random().publicKey.z32;
      const base = { user, primary, grant: null, grantExpiresAt: null, bearer: null, bearerExpiresAt: null, keepCursor: false };
      assert.equal(await mirrors.put(base, 1), null, 'unknown user');
      await store.users.create(user);

      const a = (await mirrors.put(base, 10))!;
      assert.equal(a.user, user);
      assert.equal(a.primary, primary);
      assert.equal(a.cursor, '');
      assert.equal(a.state, 'catching_up');
      assert.equal(a.createdAt, 10);

      assert.equal(
        await mirrors.report(
          user,
          a.generation,
          { cursor: '42', appliedEvents: 3, lastAppliedAt: 20, state: 'live', pendingEvents: 2, oldestPendingAt: 15 },
          20,
        ),
        true,
      );
      const r = (await mirrors.get(user))!;
      assert.deepEqual(
        [r.cursor, r.appliedEvents, r.lastAppliedAt, r.state, r.pendingEvents, r.oldestPendingAt],
        ['42', 3, 20, 'live', 2, 15],
      );

      // Replacing with the same primary and scope keeps the cursor; the old generation's progress is refused.
      const b = (await mirrors.put({ ...base, keepCursor: true }, 30))!;
      assert.equal(b.generation, a.generation + 1);
      assert.equal(b.cursor, '42');
      assert.equal(b.appliedEvents, 3);
      assert.equal(b.pendingEvents, 0);
      assert.equal(await mirrors.report(user, a.generation, { cursor: '99' }, 31), false);
      assert.equal((await mirrors.get(user))!.cursor, '42');
      const c = (await mirrors.put({ ...base, grant: 'g.g.g', grantExpiresAt: 5, bearer: 'b'.repeat(43), bearerExpiresAt: 6 }, 40))!;
      assert.equal(c.cursor, '', 'another scope starts over');
      assert.equal(c.appliedEvents, 0);
      assert.deepEqual([c.grant, c.grantExpiresAt, c.bearer, c.bearerExpiresAt], ['g.g.g', 5, 'b'.repeat(43), 6]);

      // Leases: one owner at a time until expiry or release; a stale generation cannot claim.
      assert.equal(await mirrors.claim(user, c.generation, 'one', 100, 50), true);
      assert.equal(await mirrors.claim(user, c.generation, 'two', 200, 60), false);
      assert.equal(await mirrors.claim(user, c.generation, 'one', 150, 60), true, 'renewal');
      assert.equal(await mirrors.claim(user, c.generation, 'two', 300, 151), true, 'after expiry');
      assert.equal(await mirrors.claim(user, b.generation, 'two', 300, 152), false);
      await mirrors.release('two');
      assert.equal(await mirrors.claim(user, c.generation, 'one', 400, 153), true, 'after release');

      const other = Keypair.random().publicKey.z32;
      await store.users.create(other);
      await mirrors.put({ ...base, user: other }, 60);
      assert.deepEqual(
        (await mirrors.list()).map((m) => m.user),
        [user, other].sort(),
      );
      assert.equal(await mirrors.delete(other), true);
      assert.equal(await mirrors.delete(other), false);
      assert.equal(await store.users.delete(user), true);
      assert.equal(await mirrors.get(user), null, 'the row goes with its user');
      assert.deepEqual(await mirrors.list(), []);
    });
  });
}

test('grants and bearers are sealed at rest: the row holds ciphertext, the record the value; old plain rows still read; another key reads null', async () => {
  const store = (await sqlite()) as SqliteHomeserverStore;
  const key = Keypair.random().secretKey;
  const mirrors = new SealedMirrorStore(store.mirrors, key);
  const user = Keypair.random().publicKey.z32;
  await store.users.create(user);
  const grant = 'eyJhbGciOiJFZERTQSJ9.grant.signature';
  const bearer = 'B'.repeat(43);
  const m = (await mirrors.put(
    { user, primary: Keypair.random().publicKey.z32, grant, grantExpiresAt: 99, bearer, bearerExpiresAt: 98, keepCursor: false },
    1,
  ))!;
  assert.equal(m.grant, grant);
  assert.equal(m.bearer, bearer);
  const raw = () => store.db.prepare('SELECT grant_jws, bearer FROM mirrors').get() as { grant_jws: string; bearer: string };
  assert.match(raw().grant_jws, /^enc1:/);
  assert.ok(!raw().grant_jws.includes('grant.signature') && !raw().bearer.includes('BBBB'), 'no plain text in the row');
  assert.notEqual(
    raw().bearer,
    await (async () => {
      await mirrors.report(user, m.generation, { bearer }, 2);
      return raw().bearer;
    })(),
    'a fresh IV per write',
  );
  assert.equal((await mirrors.get(user))!.bearer, bearer);
  assert.equal((await mirrors.list())[0]!.grant, grant);
  // A row written before sealing (plain text) reads as it is.
  store.db.prepare('UPDATE mirrors SET bearer = ?').run('plain-old-bearer');
  assert.equal((await mirrors.get(user))!.bearer, 'plain-old-bearer');
  // Under another homeserver key (or tampered), sealed values read as null, never as garbage.
  const other = new SealedMirrorStore(store.mirrors, Keypair.random().secretKey);
  assert.equal((await other.get(user))!.grant, null);
  store.db.prepare("UPDATE mirrors SET grant_jws = 'enc1:AAAA'").run();
  assert.equal((await mirrors.get(user))!.grant, null);
  // The bare store (what a database copy shows) never sees the values.
  assert.match((await new SqliteMirrorStore(store.db).get(user))!.grant!, /^enc1:/);
});
