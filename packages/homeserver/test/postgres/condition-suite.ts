/**
 * Conditional writes (`ifMatch` / `ifNoneMatch` on put and delete) every profile must honour alike:
 * 412 with nothing written and no event, a stale upload refused before its body is read, and no
 * lost update when writers race on one path, in one instance and across two on the same database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from '../../src/storage/errors.ts';
import { chunks, collect, randomUserKey } from '../storage-helpers.ts';
import type { HomeserverStore } from '../../src/storage/types.ts';
import type { StoreFactory } from './store-suite.ts';

const failed = (e: unknown) => e instanceof StorageError && e.status === 412 && e.code === 'PRECONDITION_FAILED';

export function conditionSuite(profile: string, factory: StoreFactory): void {
  test(`[${profile}] conditional put and delete: 412 leaves the file and the event log as they were`, async () => {
    const s = await factory({ inlineThreshold: 64 });
    try {
      const { store } = s;
      const u = randomUserKey();
      await store.users.create(u);
      const first = await store.files.put(u, '/pub/c.txt', chunks('one'), { ifNoneMatch: '*' });
      await assert.rejects(
        store.files.put(u, '/pub/c.txt', chunks('two'), { ifNoneMatch: '*' }),
        failed,
        'create-only on an existing file',
      );
      await assert.rejects(
        store.files.put(u, '/pub/c.txt', chunks('two'), { ifNoneMatch: first.etag }),
        failed,
        'If-None-Match with the current tag',
      );
      await assert.rejects(store.files.put(u, '/pub/new.txt', chunks('x'), { ifMatch: '*' }), failed, 'If-Match: * on a missing file');
      await assert.rejects(store.files.put(u, '/pub/new.txt', chunks('x'), { ifMatch: first.etag }), failed);
      const eventsBefore = await store.events.latestId();
      const second = await store.files.put(u, '/pub/c.txt', chunks('two'), { ifMatch: first.etag });
      await assert.rejects(store.files.put(u, '/pub/c.txt', chunks('three'), { ifMatch: first.etag }), failed, 'a stale tag');
      // A large stale upload: refused before a byte of it is read.
      let read = false;
      const large = (async function* () {
        read = true;
        yield new Uint8Array(500_000);
      })();
      await assert.rejects(store.files.put(u, '/pub/c.txt', large, { ifMatch: first.etag, sizeHint: 500_000 }), failed);
      assert.equal(read, false, 'the body was never read');
      assert.equal((await collect((await store.files.get(u, '/pub/c.txt'))!.body)).toString(), 'two');
      assert.equal(await store.events.latestId(), eventsBefore + 1, 'only the successful write made an event');
      await store.files.put(u, '/pub/c.txt', chunks('three'), { ifMatch: '*', ifNoneMatch: first.etag });

      const third = (await store.files.head(u, '/pub/c.txt'))!;
      await assert.rejects(store.files.delete(u, '/pub/c.txt', { ifMatch: second.etag }), failed);
      await assert.rejects(store.files.delete(u, '/pub/c.txt', { ifNoneMatch: '*' }), failed);
      assert.ok(await store.files.head(u, '/pub/c.txt'), 'still there');
      await store.files.delete(u, '/pub/c.txt', { ifMatch: third.etag });
      assert.equal(await store.files.head(u, '/pub/c.txt'), null);
      await assert.rejects(store.files.delete(u, '/pub/c.txt', { ifMatch: '*' }), failed, 'If-Match on a missing file is 412, not 404');
      await assert.rejects(
        store.files.delete(u, '/pub/c.txt', { ifNoneMatch: '*' }),
        (e: unknown) => e instanceof StorageError && e.status === 404,
      );
      await assert.rejects(
        store.files.put(randomUserKey(), '/pub/x', chunks('x'), { ifNoneMatch: '*' }),
        (e: unknown) => e instanceof StorageError && e.status === 404,
      );
    } finally {
      await s.cleanup();
    }
  });

  test(`[${profile}] writers racing on one path with If-Match lose no update, in one instance and across two`, async () => {
    const s = await factory({ inlineThreshold: 64 });
    try {
      const stores: HomeserverStore[] = [s.store, await s.another()];
      const u = randomUserKey();
      await s.store.users.create(u);
      await s.store.files.put(u, '/pub/counter', chunks('0'));
      // Each worker increments the counter N times by read-modify-write; a 412 means "read again".
      // Odd workers write padded values, so inline and blob contents alternate (threshold 64).
      const WORKERS = 6;
      const N = 8;
      let conflicts = 0;
      const worker = async (w: number) => {
        const store = stores[w % stores.length]!;
        for (let done = 0; done < N; ) {
          const c = (await store.files.get(u, '/pub/counter'))!;
          const value = Number((await collect(c.body)).toString().trim());
          const next = String(value + 1).padEnd(w % 2 ? 100 : 1, ' ');
          try {
            await store.files.put(u, '/pub/counter', chunks(next), { ifMatch: c.entry.etag });
            done++;
          } catch (e) {
            if (!failed(e)) throw e;
            conflicts++;
          }
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      const final = Number((await collect((await s.store.files.get(u, '/pub/counter'))!.body)).toString().trim());
      assert.equal(final, WORKERS * N, `every increment counted (${conflicts} conflicts retried)`);

      // Create-only races: exactly one of many creators wins.
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => stores[i % 2]!.files.put(u, '/pub/once', chunks(`writer ${i}`), { ifNoneMatch: '*' })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(failed(r.reason), String(r.reason));
      // Conditional deletes racing with conditional writes of the same version: one wins.
      const etag = (await s.store.files.head(u, '/pub/once'))!.etag;
      const race = await Promise.allSettled([
        stores[0]!.files.delete(u, '/pub/once', { ifMatch: etag }),
        stores[1]!.files.put(u, '/pub/once', chunks('replaced'), { ifMatch: etag }),
      ]);
      assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(race.map((r) => r.status)));
    } finally {
      await s.cleanup();
    }
  });
}
