/**
 * The storage behaviours every profile must share (FileStore, quota, listing, events, users, signup
 * tokens, sessions, grants, replay guard, packet custody), written against the interfaces of
 * `storage/types.ts`. `storeSuite(name, factory)` registers the tests for one profile; the SQLite and
 * PostgreSQL test files call it with their factories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '@pubky-ts/common';
import { StorageError } from '../../src/storage/errors.ts';
import { writeAllowed } from '../../src/storage/path-policy.ts';
import { chunks, collect, randomUserKey } from '../storage-helpers.ts';
import type { HomeserverStore, Revocation, StoredEvent } from '../../src/storage/types.ts';

/** Test hooks reaching below the interfaces (raw rows, blob files). */
export interface StoreProbe {
  /** Writes a raw `allowed_write_paths` value (corruption test). */
  corruptAllowedWritePaths(user: string, raw: string): Promise<void>;
  /** Number of stored blobs (files on disk, or blob rows). */
  blobCount(): Promise<number>;
  /** Stored [hashHex, refcount] of every blob, and [hashHex, n] of entries stored as blobs. */
  blobRefs(): Promise<{ refs: [string, number][]; entries: [string, number][] }>;
  /** `token_hash` of every bearer session. */
  grantSessionHashes(): Promise<Buffer[]>;
  rowCount(table: 'entries' | 'sessions' | 'grants' | 'grant_sessions'): Promise<number>;
  /** Upload leftovers (temp files, pending blob rows). */
  leftoverUploads(): Promise<number>;
  /** Whether an event row exists right now (called from a bus listener). */
  eventExists(id: number): Promise<boolean>;
}

export interface SuiteStore {
  store: HomeserverStore;
  probe: StoreProbe;
  /** Another instance on the same database (as a second process would open it). */
  another(): Promise<HomeserverStore>;
  cleanup(): Promise<void>;
}

export type StoreFactory = (options: { inlineThreshold?: number; defaultQuotaMb?: number | null }) => Promise<SuiteStore>;

function isCode(code: string, status: number, message?: string) {
  return (err: unknown) =>
    err instanceof StorageError && err.code === code && err.status === status && (message === undefined || err.message === message);
}

function putText(store: HomeserverStore, user: string, path: string, text: string) {
  return store.files.put(user, path, chunks(text));
}

async function withStore(factory: StoreFactory, options: Parameters<StoreFactory>[0], fn: (s: SuiteStore) => Promise<void>) {
  const s = await factory(options);
  try {
    await fn(s);
  } finally {
    await s.cleanup();
  }
}

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]+$/;

export function storeSuite(profile: string, factory: StoreFactory): void {
  const t = (name: string, options: Parameters<StoreFactory>[0], fn: (s: SuiteStore) => Promise<void>) =>
    test(`[${profile}] ${name}`, () => withStore(factory, options, fn));

  // -------------------------------------------------------------------------------------------
  // Files

  t('put/get/head round trip, inline and blob, ETag vectors (spec §2.5)', { inlineThreshold: 8 }, async ({ store, probe }) => {
    const u = randomUserKey();
    await store.users.create(u);
    const empty = await store.files.put(u, '/pub/empty', chunks());
    assert.equal(bytesToHex(empty.contentHash), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    assert.equal(empty.etag, '"rxNJufX5oaagQE3qNtzJSZvLJcmtwRK3zJqTyuQfMmI="');
    assert.equal(empty.contentLength, 0);
    const hello = await store.files.put(u, '/pub/hello.txt', chunks('hel', 'lo'));
    assert.equal(hello.etag, '"6o8WPbOGgpJeRJHF5Y1Ls1Bu+MFOt4qG6QjFYkpnIA8="');
    assert.equal(hello.contentType, 'text/plain');
    const bytes = await store.files.put(u, '/pub/b', chunks(Uint8Array.from([1, 2, 3, 4, 5])));
    assert.equal(bytes.etag, '"Ak9nwEJaPcAvuvWMuT3lEy49dcUZ+qC62iFJHYjJcFc="');
    const png = await store.files.put(u, '/pub/foo', chunks(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
    assert.equal(png.contentType, 'image/png');

    // Larger than one blob chunk (256 KiB) and than a single-statement read (1 MiB), odd boundaries.
    const big = Buffer.alloc(1_300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
    const e = await store.files.put(u, '/priv/big.bin', chunks(big.subarray(0, 3), big.subarray(3, 600_001), big.subarray(600_001)));
    assert.equal(e.contentLength, big.length);
    const got = await store.files.get(u, '/priv/big.bin');
    assert.ok(got);
    assert.equal(got.inline, null, 'large body is a blob');
    assert.deepEqual(await collect(got.body), big);
    assert.equal(got.entry.etag, e.etag);
    const mid = Buffer.alloc(100_000, 3);
    await store.files.put(u, '/pub/mid', chunks(mid));
    assert.deepEqual(await collect((await store.files.get(u, '/pub/mid'))!.body), mid);
    assert.equal(await probe.blobCount(), 2);

    const small = await store.files.get(u, '/pub/hello.txt');
    assert.ok(small?.inline);
    assert.equal(Buffer.from(small.inline).toString(), 'hello');
    assert.equal((await collect(small.body)).toString(), 'hello');
    assert.equal((await collect((await store.files.get(u, '/pub/empty'))!.body)).length, 0);

    const h = await store.files.head(u, '/pub/hello.txt');
    assert.equal(h?.etag, hello.etag);
    assert.equal(h?.contentLength, 5);
    assert.ok(h!.createdAt > 0 && h!.modifiedAt >= h!.createdAt);
    assert.equal(await store.files.head(u, '/pub/missing'), null);
    assert.equal(await store.files.get(randomUserKey(), '/pub/hello.txt'), null);
    assert.equal(await store.files.get(u, '/pub/'), null);
    // Overwrite keeps created_at, moves modified_at.
    const again = await putText(store, u, '/pub/hello.txt', 'hello again');
    assert.equal(again.createdAt, hello.createdAt);
    assert.ok(again.modifiedAt > hello.modifiedAt);
  });

  t('overwrite and delete release blobs; identical contents share one blob', { inlineThreshold: 4 }, async ({ store, probe }) => {
    const u = randomUserKey();
    await store.users.create(u);
    await putText(store, u, '/pub/a', 'same content');
    await putText(store, u, '/pub/b', 'same content');
    assert.equal(await probe.blobCount(), 1);
    await store.files.delete(u, '/pub/a');
    assert.equal(await probe.blobCount(), 1, 'still referenced by /pub/b');
    assert.equal((await collect((await store.files.get(u, '/pub/b'))!.body)).toString(), 'same content');
    await putText(store, u, '/pub/b', 'same content');
    assert.equal(await probe.blobCount(), 1, 'rewriting the same contents keeps the blob');
    await putText(store, u, '/pub/b', 'other content');
    assert.equal(await probe.blobCount(), 1, 'old blob removed, new one written');
    await putText(store, u, '/pub/b', 'tiny');
    assert.equal(await probe.blobCount(), 0, 'now inline');
    await store.files.delete(u, '/pub/b');
    await assert.rejects(store.files.delete(u, '/pub/b'), isCode('NOT_FOUND', 404));
    const { refs } = await probe.blobRefs();
    assert.deepEqual(refs, []);
  });

  t('quota: exact accounting on create, overwrite, delete; 507 early and final', { defaultQuotaMb: 1 }, async ({ store }) => {
    const u = randomUserKey();
    await store.users.create(u);
    const used = async () => (await store.users.get(u))!.usedBytes;
    await store.files.put(u, '/pub/a', chunks(Buffer.alloc(1000)));
    assert.equal(await used(), 1256);
    await store.files.put(u, '/pub/a', chunks(Buffer.alloc(400)));
    assert.equal(await used(), 656, 'overwrite charges only the delta');
    await store.files.put(u, '/pub/b', chunks(Buffer.alloc(0)));
    assert.equal(await used(), 912);
    await store.files.delete(u, '/pub/a');
    assert.equal(await used(), 256);

    const exact = 1_048_576 - 512;
    await store.files.put(u, '/pub/c', chunks(Buffer.alloc(exact)));
    assert.equal(await used(), 1_048_576);
    await assert.rejects(store.files.put(u, '/pub/d', chunks('x')), isCode('QUOTA_EXCEEDED', 507, 'Disk space quota exceeded'));
    await assert.rejects(store.files.put(u, '/pub/d', chunks(), { sizeHint: 0 }), isCode('QUOTA_EXCEEDED', 507));
    await store.files.put(u, '/pub/c', chunks(Buffer.alloc(10)));
    assert.equal(await used(), 256 + 266);
    let read = false;
    async function* body() {
      read = true;
      yield Buffer.alloc(1);
    }
    await assert.rejects(store.files.put(u, '/pub/e', body(), { sizeHint: 2_000_000 }), isCode('QUOTA_EXCEEDED', 507));
    assert.equal(read, false);
    await assert.rejects(store.files.put(u, '/pub/f', chunks(Buffer.alloc(600_000), Buffer.alloc(600_000))), isCode('QUOTA_EXCEEDED', 507));
    assert.equal(await used(), 522, 'failed writes charge nothing');
    assert.equal(await store.files.head(u, '/pub/f'), null);

    await store.users.setQuota(u, { storageQuotaMb: -1 });
    await store.files.put(u, '/pub/big', chunks(Buffer.alloc(1_200_000)));
    await store.users.setQuota(u, { storageQuotaMb: 0 });
    await assert.rejects(store.files.put(u, '/pub/g', chunks('x')), isCode('QUOTA_EXCEEDED', 507));
    await store.files.delete(u, '/pub/big');
    assert.equal(await used(), 522);
    assert.deepEqual(await store.users.stats(), { numUsers: 1, numDisabledUsers: 0, totalUsedBytes: 522 });
  });

  t('concurrent writes at the quota edge: the final check holds', { defaultQuotaMb: 1 }, async ({ store }) => {
    const u = randomUserKey();
    await store.users.create(u);
    const size = 300_000;
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => store.files.put(u, `/pub/f${i}`, chunks(Buffer.alloc(size)))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    for (const r of results) if (r.status === 'rejected') assert.ok(isCode('QUOTA_EXCEEDED', 507)(r.reason), String(r.reason));
    assert.equal((await store.users.get(u))!.usedBytes, 3 * (size + 256));
  });

  t('file/folder collisions (spec §2.3) and admin bypass', {}, async ({ store }) => {
    const u = randomUserKey();
    await store.users.create(u);
    await putText(store, u, '/pub/a', 'file');
    await assert.rejects(putText(store, u, '/pub/a/b', 'x'), isCode('PATH_COLLISION', 409, 'File/folder path collision'));
    await assert.rejects(putText(store, u, '/pub/a/b/c', 'x'), isCode('PATH_COLLISION', 409));
    await putText(store, u, '/pub/a', 'overwrite is fine');
    await putText(store, u, '/pub/d/x', 'x');
    await assert.rejects(putText(store, u, '/pub/d', 'x'), isCode('PATH_COLLISION', 409));
    await putText(store, u, '/pub/d-x', 'x');
    await putText(store, u, '/pub/d0', 'x');
    await putText(store, u, '/pub/a.txt', 'x');
    await store.files.put(u, '/pub/a/admin', chunks('x'), { admin: true });
    assert.ok(await store.files.head(u, '/pub/a/admin'));
  });

  t('listing: deep, shallow, cursor, reverse, limit, byte order, LIKE wildcards', {}, async ({ store }) => {
    const u = randomUserKey();
    const other = randomUserKey();
    await store.users.create(u);
    await store.users.create(other);
    const files = [
      '/pub/a.com/1',
      '/pub/example.com/x',
      '/pub/example.com/y/z',
      '/pub/example.con-file',
      '/pub/example.con/q',
      '/pub/file',
      '/pub/file2',
      '/pub/z.com/a',
      '/pub/a_b/1',
      '/pub/axb/2',
      '/pub/p%q/3',
      '/pub/pxq/4',
      '/pub/ü',
      '/pub/Zed',
      '/pub/\u{1F600}',
      '/pub/\uFF5E',
      '/priv/secret',
    ];
    for (const f of files) await putText(store, u, f, f);
    await putText(store, other, '/pub/file3', 'not mine');

    const pubFiles = files.filter((f) => f.startsWith('/pub/')).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(await store.files.list(u, '/pub/', { limit: 1000 }), pubFiles);
    assert.deepEqual(await store.files.list(u, '/pub/', { limit: 1000, reverse: true }), [...pubFiles].reverse());
    assert.ok(pubFiles.indexOf('/pub/example.con-file') < pubFiles.indexOf('/pub/example.con/q'), "'-' < '/'");
    assert.ok(pubFiles.indexOf('/pub/Zed') < pubFiles.indexOf('/pub/a.com/1'), 'upper case first (bytes, not locale)');
    assert.equal(pubFiles[pubFiles.length - 1], '/pub/\u{1F600}', 'UTF-8 byte order (astral after U+FF5E)');

    const pages: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: string[] = (await store.files.list(u, '/pub/', { limit: 3, cursor }))!;
      if (page.length === 0) break;
      pages.push(...page);
      cursor = page[page.length - 1];
    }
    assert.deepEqual(pages, pubFiles);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/file', limit: 2 }), ['/pub/file2', '/pub/p%q/3']);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/file', limit: 2, reverse: true }), [
      '/pub/example.con/q',
      '/pub/example.con-file',
    ]);

    assert.deepEqual(await store.files.list(u, '/pub/a_b/'), ['/pub/a_b/1']);
    assert.deepEqual(await store.files.list(u, '/pub/p%q/'), ['/pub/p%q/3']);

    const shallow = await store.files.list(u, '/pub/', { shallow: true, limit: 100 });
    assert.deepEqual(shallow, [
      '/pub/Zed',
      '/pub/a.com/',
      '/pub/a_b/',
      '/pub/axb/',
      '/pub/example.com/',
      '/pub/example.con-file',
      '/pub/example.con/',
      '/pub/file',
      '/pub/file2',
      '/pub/p%q/',
      '/pub/pxq/',
      '/pub/z.com/',
      '/pub/ü',
      '/pub/\uFF5E',
      '/pub/\u{1F600}',
    ]);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, reverse: true }), [...shallow!].reverse());
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/example.com/', limit: 3 }), [
      '/pub/example.con-file',
      '/pub/example.con/',
      '/pub/file',
    ]);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/example.com', limit: 1 }), ['/pub/example.com/']);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/example.con/', limit: 2, reverse: true }), [
      '/pub/example.con-file',
      '/pub/example.com/',
    ]);
    for (const reverse of [false, true]) {
      const shallowPages: string[] = [];
      cursor = null;
      for (let i = 0; i < 20; i++) {
        const page: string[] = (await store.files.list(u, '/pub/', { shallow: true, limit: 4, cursor, reverse }))!;
        if (page.length === 0) break;
        shallowPages.push(...page);
        cursor = page[page.length - 1];
      }
      assert.deepEqual(shallowPages, reverse ? [...shallow!].reverse() : shallow, `shallow pages reverse=${reverse}`);
    }
    assert.deepEqual(await store.files.list(u, '/pub/example.com/', { shallow: true }), ['/pub/example.com/x', '/pub/example.com/y/']);
    assert.deepEqual(await store.files.list(u, '/pub/example.com', { shallow: true }), ['/pub/example.com/x', '/pub/example.com/y/']);

    assert.equal(await store.files.list(u, '/pub/nothing/'), null);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/zzzzz' }), ['/pub/ü', '/pub/\uFF5E', '/pub/\u{1F600}']);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/\u{1F600}' }), []);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/\u{1F600}', shallow: true }), []);
    assert.equal(await store.files.list(randomUserKey(), '/pub/'), null);
    assert.deepEqual(await store.files.list(u, '/pub/', { limit: 1 }), ['/pub/Zed']);
    assert.deepEqual(await store.files.list(u, '/priv/'), ['/priv/secret']);
  });

  t('racing writes and deletes of shared contents never lose a referenced blob', { inlineThreshold: 16 }, async ({ store, probe }) => {
    const u = randomUserKey();
    await store.users.create(u);
    const contents = ['A', 'B', 'C'].map((c) => Buffer.alloc(5000, c));
    const ops: Promise<unknown>[] = [];
    for (let round = 0; round < 12; round++) {
      for (let p = 0; p < 6; p++) {
        const path = `/pub/r/${p}`;
        if ((round + p) % 3 === 0) ops.push(store.files.delete(u, path).catch(() => undefined));
        else ops.push(store.files.put(u, path, chunks(contents[(round * p) % 3])));
        ops.push(store.files.get(u, path).then(async (g) => (g ? collect(g.body) : null)));
      }
      if (round % 4 === 0) await Promise.all(ops.splice(0));
    }
    await Promise.all(ops);
    const listed = (await store.files.list(u, '/pub/r/')) ?? [];
    let usage = 0;
    for (const path of listed) {
      const g = await store.files.get(u, path);
      assert.ok(g, path);
      const bytes = await collect(g.body);
      assert.ok(
        contents.some((c) => c.equals(bytes)),
        `${path} has one of the written contents`,
      );
      usage += bytes.length + 256;
    }
    assert.equal((await store.users.get(u))!.usedBytes, usage);
    const { refs, entries } = await probe.blobRefs();
    assert.deepEqual(refs, entries, 'refcounts match the entries');
    assert.equal(await probe.blobCount(), refs.length, 'no orphan and no missing blob');
  });

  t('aborted or failed upload commits nothing and leaves nothing behind', { inlineThreshold: 4 }, async ({ store, probe }) => {
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
      yield Buffer.alloc(300_000, 1);
      throw new Error('client went away');
    }
    await assert.rejects(store.files.put(u, '/pub/y', failing()), /client went away/);
    assert.equal(await store.files.head(u, '/pub/x'), null);
    assert.equal(await store.files.head(u, '/pub/y'), null);
    assert.equal((await store.users.get(u))!.usedBytes, 0);
    assert.equal(await probe.leftoverUploads(), 0);
    assert.equal(await probe.blobCount(), 0);
    assert.equal(await store.events.latestId(), 0);
  });

  // -------------------------------------------------------------------------------------------
  // Path policy

  t('roots, file-shaped targets, unknown and disabled users, allowed paths', {}, async ({ store }) => {
    assert.equal(writeAllowed(['/pub/app/'], '/pub/apps/a'), false);
    const u = randomUserKey();
    await store.users.create(u);
    const forbidden = "Writing to directories other than '/pub/' and '/priv/' is forbidden";
    for (const p of ['/foo', '/priv', '/privstuff/x', '/pubx/y']) {
      await assert.rejects(putText(store, u, p, 'x'), isCode('WRITE_FORBIDDEN_ROOT', 403, forbidden), p);
    }
    await assert.rejects(store.files.delete(u, '/other/x'), isCode('WRITE_FORBIDDEN_ROOT', 403));
    await assert.rejects(store.files.get(u, '/other/x'), isCode('READ_FORBIDDEN_ROOT', 403));
    await assert.rejects(store.files.list(u, '/'), isCode('READ_FORBIDDEN_ROOT', 403));
    await assert.rejects(putText(store, u, '/pub/dir/', 'x'), isCode('NOT_A_FILE', 400));
    await assert.rejects(putText(store, randomUserKey(), '/pub/x', 'x'), isCode('USER_NOT_FOUND', 404));
    await assert.rejects(store.files.delete(randomUserKey(), '/pub/x'), isCode('USER_NOT_FOUND', 404));

    await putText(store, u, '/pub/keep', 'x');
    await putText(store, u, '/priv/keep', 'x');
    await store.users.setDisabled(u, true);
    await assert.rejects(putText(store, u, '/pub/x', 'x'), isCode('USER_DISABLED', 403, 'User is disabled'));
    assert.ok(await store.files.get(u, '/pub/keep'), 'reads still work');
    await store.files.delete(u, '/priv/keep');
    await store.files.put(u, '/pub/admin-write', chunks('x'), { admin: true });
    await store.users.setDisabled(u, false);

    await store.users.setQuota(u, { allowedWritePaths: ['/pub/app/', '/pub/one.txt'] });
    await putText(store, u, '/pub/app/a/b', 'x');
    await putText(store, u, '/pub/one.txt', 'x');
    await assert.rejects(
      putText(store, u, '/pub/two.txt', 'x'),
      isCode('WRITE_PATH_NOT_ALLOWED', 403, 'Write to this path is not allowed'),
    );
    await assert.rejects(store.files.delete(u, '/pub/keep'), isCode('WRITE_PATH_NOT_ALLOWED', 403));
    await store.files.delete(u, '/pub/keep', { admin: true });
    await store.users.setQuota(u, { allowedWritePaths: [] });
    await assert.rejects(putText(store, u, '/pub/app/c', 'x'), isCode('WRITE_PATH_NOT_ALLOWED', 403));
    await store.users.setQuota(u, { allowedWritePaths: null });
    await putText(store, u, '/pub/anything', 'x');
  });

  t('policy order: root before user, disabled before quota, quota before collision', { defaultQuotaMb: 0 }, async ({ store }) => {
    const u = randomUserKey();
    await assert.rejects(putText(store, u, '/etc/x', 'x'), isCode('WRITE_FORBIDDEN_ROOT', 403));
    await store.users.create(u, { quota: { storageQuotaMb: -1 } });
    await putText(store, u, '/pub/a', 'x');
    await store.users.setQuota(u, { storageQuotaMb: 0 });
    await assert.rejects(store.files.put(u, '/pub/a/b', chunks('x'), { sizeHint: 1 }), isCode('QUOTA_EXCEEDED', 507));
    await store.users.setDisabled(u, true);
    await assert.rejects(store.files.put(u, '/pub/a/b', chunks('x'), { sizeHint: 1 }), isCode('USER_DISABLED', 403));
  });

  // -------------------------------------------------------------------------------------------
  // Events

  t('events: PUT/DEL recorded in order, filters, per-user cursors, feed, bus after commit', {}, async ({ store, probe }) => {
    const a = randomUserKey();
    const b = randomUserKey();
    await store.users.create(a);
    await store.users.create(b);
    const live: StoredEvent[] = [];
    const visible: Promise<boolean>[] = [];
    const unsubscribe = store.events.bus.subscribe((e) => {
      visible.push(probe.eventExists(e.id));
      live.push(e);
    });
    await putText(store, a, '/pub/app/1', 'x'); // 1
    assert.deepEqual(
      live.map((e) => e.id),
      [1],
      'published before put() resolves',
    );
    await putText(store, b, '/pub/app/1', 'y'); // 2
    await putText(store, a, '/priv/s', 'z'); // 3
    await putText(store, a, '/pub/app%/2', 'w'); // 4
    await putText(store, a, '/pub/apx/3', 'w'); // 5
    await store.files.delete(a, '/pub/app/1'); // 6
    unsubscribe();
    await putText(store, a, '/pub/after', 'x'); // 7
    assert.deepEqual(
      live.map((e) => e.id),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(await Promise.all(visible), [true, true, true, true, true, true], 'readable when published');
    assert.equal(live[5].type, 'DEL');
    assert.equal(live[0].user, a);

    const all = await store.events.read({});
    assert.deepEqual(
      all.map((e) => `${e.id} ${e.type} ${e.user === a ? 'a' : 'b'} ${e.path}`),
      [
        '1 PUT a /pub/app/1',
        '2 PUT b /pub/app/1',
        '3 PUT a /priv/s',
        '4 PUT a /pub/app%/2',
        '5 PUT a /pub/apx/3',
        '6 DEL a /pub/app/1',
        '7 PUT a /pub/after',
      ],
    );
    assert.equal(all[0].contentHash?.length, 32);
    assert.equal(all[5].contentHash, null);
    assert.deepEqual(live[0], all[0], 'bus and read agree');

    const ids = async (q: Parameters<typeof store.events.read>[0]) => (await store.events.read(q)).map((e) => e.id);
    assert.deepEqual(await ids({ publicOnly: true }), [1, 2, 4, 5, 6, 7]);
    assert.deepEqual(await ids({ users: [{ user: a }] }), [1, 3, 4, 5, 6, 7]);
    assert.deepEqual(await ids({ users: [{ user: a, cursor: 3 }, { user: b }] }), [2, 4, 5, 6, 7]);
    assert.deepEqual(await ids({ users: [{ user: a, cursor: 4 }], reverse: true }), [3, 1]);
    assert.deepEqual(await ids({ reverse: true, limit: 2 }), [7, 6]);
    assert.deepEqual(await ids({ cursor: 5 }), [6, 7]);
    assert.deepEqual(await ids({ cursor: 5, users: [{ user: a, cursor: 6 }] }), [7]);
    assert.deepEqual(await ids({ paths: ['/pub/app/'] }), [1, 2, 6], "prefix match, '%' is literal");
    assert.deepEqual(await ids({ paths: ['/pub/app%/'] }), [4]);
    assert.deepEqual(await ids({ paths: ['/pub/app/1', '/priv/'] }), [1, 2, 3, 6]);
    assert.deepEqual(await ids({ paths: ['/pub/app'] }), [], 'exact file match only');
    assert.deepEqual(await ids({ users: [{ user: randomUserKey() }] }), []);
    assert.deepEqual(await ids({ users: [] }), []);
    assert.deepEqual(await ids({ limit: 3 }), [1, 2, 3]);

    assert.deepEqual(
      (await store.events.feed(0, 100)).map((e) => e.id),
      [1, 2, 4, 5, 6, 7],
    );
    assert.deepEqual(
      (await store.events.feed(4, 2)).map((e) => e.id),
      [5, 6],
    );
    assert.equal(await store.events.latestId(), 7);
    assert.equal(await store.events.idAtCreatedAt(all[2].createdAt), 3);
    assert.equal(await store.events.idAtCreatedAt(1), null);
  });

  // -------------------------------------------------------------------------------------------
  // Users, tokens, sessions, grants, replay guard, packets

  t('users: create, duplicate, disable, quota patch, stats', {}, async ({ store, probe }) => {
    const u = randomUserKey();
    const rec = await store.users.create(u, { quota: { storageQuotaMb: 10, rateRead: '1mb/s' } });
    assert.equal(rec.publicKey, u);
    assert.equal(rec.disabled, false);
    assert.equal(rec.usedBytes, 0);
    assert.equal(rec.storageQuotaMb, 10);
    assert.equal(rec.rateRead, '1mb/s');
    assert.equal(rec.allowedWritePaths, null);
    assert.ok(rec.createdAt > 1.6e15);
    await assert.rejects(store.users.create(u), isCode('USER_EXISTS', 409, 'User already exists'));
    assert.equal(await store.users.setDisabled(u, true), true);
    assert.equal((await store.users.get(u))?.disabled, true);
    assert.equal(await store.users.setDisabled(randomUserKey(), true), false);
    const patched = await store.users.setQuota(u, { rateRead: null, rateWriteBurst: 3, allowedWritePaths: [] });
    assert.equal(patched?.storageQuotaMb, 10, 'absent fields kept');
    assert.equal(patched?.rateRead, null, 'null resets');
    assert.equal(patched?.rateWriteBurst, 3);
    assert.deepEqual(patched?.allowedWritePaths, []);
    assert.equal(await store.users.setQuota(randomUserKey(), { storageQuotaMb: 1 }), null);
    await probe.corruptAllowedWritePaths(u, 'not json');
    assert.deepEqual((await store.users.get(u))?.allowedWritePaths, [], 'a corrupt value fails closed');

    const v = randomUserKey();
    await store.users.create(v);
    await store.users.setQuota(u, { allowedWritePaths: null });
    await store.files.put(u, '/pub/a', chunks(Buffer.alloc(100)), { admin: true });
    assert.deepEqual(await store.users.stats(), { numUsers: 2, numDisabledUsers: 1, totalUsedBytes: 356 });
    const both = await Promise.allSettled([store.users.create(randomUserKey()), store.users.create(v)]);
    assert.equal(both[0].status, 'fulfilled');
    assert.ok(both[1].status === 'rejected' && isCode('USER_EXISTS', 409)(both[1].reason));
  });

  t('users are listed in key order, page by page', {}, async ({ store }) => {
    const keys = Array.from({ length: 7 }, () => randomUserKey());
    for (const k of keys) await store.users.create(k);
    keys.sort();
    assert.deepEqual(await store.users.list({ limit: 100 }), keys);
    const pages: string[][] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await store.users.list({ limit: 3, cursor });
      if (page.length === 0) break;
      pages.push(page);
      cursor = page[page.length - 1]!;
    }
    assert.deepEqual(
      pages.map((p) => p.length),
      [3, 3, 1],
    );
    assert.deepEqual(pages.flat(), keys);
    assert.deepEqual(await store.users.list({ limit: 0 }), []);
    await store.users.delete(keys[3]!);
    assert.deepEqual(await store.users.list({ limit: 100, cursor: keys[1] }), [keys[2], keys[4], keys[5], keys[6]]);
  });

  t(
    'account deletion removes entries, blobs, events, sessions, grants and publishes revocations',
    { inlineThreshold: 10 },
    async ({ store, probe }) => {
      const u = randomUserKey();
      const keep = randomUserKey();
      await store.users.create(u);
      await store.users.create(keep);
      await putText(store, u, '/pub/big1', 'a long enough body for a blob file');
      await putText(store, u, '/pub/big2', 'another long body for a blob file!');
      await putText(store, u, '/pub/small', 'tiny');
      await putText(store, keep, '/pub/shared', 'a long enough body for a blob file');
      const s = await store.sessions.create(u, '/:rw');
      await store.grants.upsert({
        id: 'gid',
        user: u,
        clientId: 'c',
        clientCnfKey: keep,
        capabilities: '/:rw',
        issuedAt: 1,
        expiresAt: 2e9,
      });
      const { token } = await store.grants.mintSession('gid', 2e9);
      await store.packets.save(u, Uint8Array.of(1, 2, 3), 5);
      const revoked: Revocation[] = [];
      store.revocations.subscribe((r) => revoked.push(r));

      assert.equal(await store.users.delete(u), true);
      assert.deepEqual(
        revoked,
        [
          { kind: 'cookie_session', id: s.id },
          { kind: 'grant', id: 'gid' },
        ],
        'published before delete() resolves',
      );
      assert.equal(await store.users.delete(u), false);
      assert.equal(await store.users.get(u), null);
      assert.equal(await store.files.get(u, '/pub/small'), null);
      assert.equal(await store.files.list(u, '/pub/'), null);
      assert.equal(await store.sessions.getBySecret(s.secret), null);
      assert.equal(await store.grants.resolveBearer(token, 1000), null);
      assert.equal(await store.grants.get('gid'), null);
      assert.equal(await store.packets.get(u), null);
      assert.deepEqual(
        (await store.events.read({})).map((e) => e.user),
        [keep],
      );
      for (const table of ['entries', 'sessions', 'grants', 'grant_sessions'] as const) {
        assert.equal(await probe.rowCount(table), table === 'entries' ? 1 : 0, table);
      }
      assert.equal(await probe.blobCount(), 1, 'the shared blob survives, the other is removed');
      assert.equal((await collect((await store.files.get(keep, '/pub/shared'))!.body)).toString(), 'a long enough body for a blob file');
      assert.deepEqual(await store.users.stats(), { numUsers: 1, numDisabledUsers: 0, totalUsedBytes: 34 + 256 });
      const { refs, entries } = await probe.blobRefs();
      assert.deepEqual(refs, entries);
    },
  );

  t('signup tokens: format, single use inside user creation, quota copy, listing', {}, async ({ store }) => {
    const t1 = await store.signupTokens.create({ storageQuotaMb: 5, allowedWritePaths: ['/pub/app/'] });
    assert.match(t1, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const tokens = [t1];
    for (let i = 0; i < 4; i++) tokens.push(await store.signupTokens.create());
    const fresh = await store.signupTokens.get(t1);
    assert.equal(fresh?.quota.storageQuotaMb, 5);
    assert.equal(fresh?.usedBy, null);

    const u = randomUserKey();
    const user = await store.users.create(u, { signupToken: t1 });
    assert.equal(user.storageQuotaMb, 5);
    assert.deepEqual(user.allowedWritePaths, ['/pub/app/']);
    const rec = await store.signupTokens.get(t1);
    assert.equal(rec?.usedBy, u);
    assert.ok(rec!.usedAt! > 0);

    await assert.rejects(store.users.create(randomUserKey(), { signupToken: t1 }), isCode('SIGNUP_TOKEN_USED', 401, 'Token already used'));
    await assert.rejects(
      store.users.create(randomUserKey(), { signupToken: 'AAAA-BBBB-CCCC' }),
      isCode('SIGNUP_TOKEN_INVALID', 401, 'Invalid token'),
    );
    await assert.rejects(store.users.create(u, { signupToken: tokens[1] }), isCode('USER_EXISTS', 409));
    assert.equal((await store.signupTokens.get(tokens[1]))?.usedBy, null);
    assert.equal(await store.signupTokens.get('NOPE'), null);
    // Two sign-ups racing for one token: exactly one wins.
    const race = await Promise.allSettled([randomUserKey(), randomUserKey()].map((k) => store.users.create(k, { signupToken: tokens[2] })));
    assert.equal(race.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(race.some((r) => r.status === 'rejected' && isCode('SIGNUP_TOKEN_USED', 401)(r.reason)));

    const sorted = [...tokens].sort();
    const p1 = await store.signupTokens.list({ limit: 3 });
    assert.deepEqual(
      p1.items.map((i) => i.token),
      sorted.slice(0, 3),
    );
    assert.equal(p1.nextCursor, sorted[2]);
    const p2 = await store.signupTokens.list({ limit: 3, cursor: p1.nextCursor });
    assert.deepEqual(
      p2.items.map((i) => i.token),
      sorted.slice(3),
    );
    assert.equal(p2.nextCursor, null);
    assert.deepEqual(
      (await store.signupTokens.list({ limit: 10, state: 'used' })).items.map((i) => i.token),
      [t1, tokens[2]].sort(),
    );
    assert.equal((await store.signupTokens.list({ limit: 10, state: 'unused' })).items.length, 3);
    assert.deepEqual(await store.signupTokens.stats(), { total: 5, unused: 3 });
  });

  t('cookie sessions: 26-char Crockford secret, lookup, delete publishes a revocation', {}, async ({ store }) => {
    const u = randomUserKey();
    await store.users.create(u);
    const s = await store.sessions.create(u, '/:rw');
    assert.equal(s.secret.length, 26);
    assert.match(s.secret, CROCKFORD);
    assert.deepEqual(await store.sessions.getBySecret(s.secret), s);
    assert.equal(await store.sessions.getBySecret('x'), null);
    assert.equal(await store.sessions.getBySecret('A'.repeat(26)), null);
    await assert.rejects(store.sessions.create(randomUserKey(), '/:rw'), isCode('USER_NOT_FOUND', 404));
    const revoked: Revocation[] = [];
    store.revocations.subscribe((r) => revoked.push(r));
    assert.equal(await store.sessions.delete(s.secret), true);
    assert.equal(await store.sessions.delete(s.secret), false);
    assert.deepEqual(revoked, [{ kind: 'cookie_session', id: s.id }]);
    assert.equal(await store.sessions.getBySecret(s.secret), null);
  });

  t('grants: first copy wins, one bearer per grant, expiry, revocation, nonces', {}, async ({ store, probe }) => {
    const u = randomUserKey();
    await store.users.create(u);
    const now = 1_800_000_000;
    const base = {
      id: 'g1',
      user: u,
      clientId: 'app',
      clientCnfKey: randomUserKey(),
      capabilities: '/pub/app/:rw',
      issuedAt: now - 10,
      expiresAt: now + 1000,
    };
    const g = await store.grants.upsert(base);
    assert.equal(g.capabilities, '/pub/app/:rw');
    assert.equal(g.revokedAt, null);
    assert.equal(g.user, u);
    const again = await store.grants.upsert({ ...base, capabilities: '/:rw' });
    assert.equal(again.capabilities, '/pub/app/:rw', 'first stored copy wins');
    await assert.rejects(store.grants.upsert({ ...base, id: 'g2', user: randomUserKey() }), isCode('USER_NOT_FOUND', 404));

    const m1 = await store.grants.mintSession('g1', now + 3600);
    assert.match(m1.token, /^[A-Za-z0-9_-]{43}$/);
    const { bearerHash } = await import('../../src/storage/grant-row.ts');
    assert.deepEqual(await probe.grantSessionHashes(), [bearerHash(m1.token)], 'only the SHA-256 is stored');
    const r1 = await store.grants.resolveBearer(m1.token, now);
    assert.equal(r1?.grant.id, 'g1');
    assert.equal(r1?.grant.user, u);
    assert.equal(r1?.session.grantId, 'g1');
    assert.equal(r1?.session.expiresAt, now + 3600);
    const m2 = await store.grants.mintSession('g1', now + 3600);
    assert.equal(await store.grants.resolveBearer(m1.token, now), null, 'older bearer stops working');
    assert.ok(await store.grants.resolveBearer(m2.token, now));
    assert.equal(await store.grants.resolveBearer(m2.token, now + 3600), null, 'session expired');
    assert.equal(await store.grants.resolveBearer(m2.token, now + 1000), null, 'grant expired');
    assert.equal(await store.grants.resolveBearer('short', now), null);
    await assert.rejects(store.grants.mintSession('nope', now + 1), isCode('GRANT_NOT_FOUND', 404));

    await store.grants.upsert({ ...base, id: 'g3', expiresAt: now + 5 });
    await store.grants.upsert({ ...base, id: 'g4' });
    assert.deepEqual(
      (await store.grants.listActive(u, now)).map((x) => x.id),
      ['g1', 'g3', 'g4'],
    );
    assert.deepEqual(
      (await store.grants.listActive(u, now + 5)).map((x) => x.id),
      ['g1', 'g4'],
    );

    const revoked: Revocation[] = [];
    store.revocations.subscribe((r) => revoked.push(r));
    assert.equal(await store.grants.revoke('g1', now), true);
    assert.equal(await store.grants.resolveBearer(m2.token, now), null, 'revoked grant');
    assert.equal((await store.grants.get('g1'))?.revokedAt, now);
    assert.deepEqual(revoked, [{ kind: 'grant', id: 'g1' }]);
    assert.equal(await store.grants.revoke('missing', now), false);
    assert.deepEqual(
      (await store.grants.listActive(u, now)).map((x) => x.id),
      ['g3', 'g4'],
    );
    assert.equal(await probe.rowCount('grant_sessions'), 0, 'revocation drops the bearer sessions');

    assert.equal(await store.grants.useNonce('n1', now), true);
    assert.equal(await store.grants.useNonce('n1', now + 10), false);
    assert.equal(await store.grants.useNonce('n1', now + 361), true, 'expired nonces are purged');
  });

  t('AuthToken replay guard holds across two instances on one database', {}, async ({ store, another }) => {
    const second = await another();
    const id = new Uint8Array(40).fill(7);
    const later = Date.now() * 1000 + 360_000_000;
    assert.equal(await store.authTokenReplay.markUsed(id, later), true);
    assert.equal(await second.authTokenReplay.markUsed(id, later), false);
    assert.equal(await store.authTokenReplay.markUsed(id, later), false);
    const other = new Uint8Array(40).fill(8);
    assert.equal(await second.authTokenReplay.markUsed(other, later), true);
    const stale = new Uint8Array(40).fill(9);
    assert.equal(await store.authTokenReplay.markUsed(stale, Date.now() * 1000 - 1), true);
    assert.equal(await second.authTokenReplay.markUsed(stale, later), true, 'an expired record no longer blocks the id');
    assert.equal(await store.authTokenReplay.markUsed(stale, later), false);
  });

  t('packet custody keeps the newest packet per user and records outcomes', {}, async ({ store }) => {
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
    assert.equal(rec?.lastPublishedAt, 123);
    assert.equal(rec?.lastStoredAt, 7);
    assert.equal(rec?.visibleDht, true);
    assert.equal(rec?.lastError, null);
    await store.packets.report(user, { visibleDht: false, lastError: 'timeout' });
    assert.equal((await store.packets.get(user))?.visibleDht, false);
    assert.equal((await store.packets.get(user))?.lastError, 'timeout');
    const other = randomUserKey();
    await store.users.create(other);
    assert.deepEqual(await store.packets.listUsers({ limit: 10 }), [user, other].sort());
    assert.deepEqual(await store.packets.listUsers({ limit: 10, after: [user, other].sort()[0] }), [[user, other].sort()[1]]);
    await store.users.delete(user);
    assert.equal(await store.packets.get(user), null, 'account deletion removes custody');
  });
}
