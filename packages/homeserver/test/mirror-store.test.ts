// The mirror state table in both storage profiles: replace semantics, generation-guarded progress,
// leases, and the row following its user's deletion.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { openHomeserverStore } from '../src/storage/open-store.ts';
import type { HomeserverStore } from '../src/storage/types.ts';
import { mirrorStoreFor, type MirrorStore } from '../src/mirror/mirror-store.ts';
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

for (const [name, open] of [['SQLite', sqlite], ['PostgreSQL', postgres]] as const) {
  describe(`mirror store (${name})`, () => {
    test('put, replace, progress by generation, leases, delete, cascade', async () => {
      const store = await open();
      const mirrors = mirrorStoreFor(store) as MirrorStore;
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

      assert.equal(await mirrors.report(user, a.generation, { cursor: '42', appliedEvents: 3, lastAppliedAt: 20, state: 'live', pendingEvents: 2, oldestPendingAt: 15 }, 20), true);
      let r = (await mirrors.get(user))!;
      assert.deepEqual([r.cursor, r.appliedEvents, r.lastAppliedAt, r.state, r.pendingEvents, r.oldestPendingAt], ['42', 3, 20, 'live', 2, 15]);

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
      assert.deepEqual((await mirrors.list()).map((m) => m.user), [user, other].sort());
      assert.equal(await mirrors.delete(other), true);
      assert.equal(await mirrors.delete(other), false);
      assert.equal(await store.users.delete(user), true);
      assert.equal(await mirrors.get(user), null, 'the row goes with its user');
      assert.deepEqual(await mirrors.list(), []);
    });
  });
}
