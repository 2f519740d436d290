import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { bytesToHex } from '@pubky-ts/common';
import { StorageError } from '../errors.ts';
import { chunks, collect, putText, randomUserKey, tempStore } from '../test-helpers.ts';

function isCode(code: string, status: number) {
  return (err: unknown) => err instanceof StorageError && err.code === code && err.status === status;
}

test('put/get/head round trip, inline and blob file, ETag vectors (spec §2.5)', async () => {
  const { store, dataDir, cleanup } = await tempStore({ inlineThreshold: 8 });
  try {
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

    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const e = await store.files.put(u, '/priv/big.bin', chunks(big.subarray(0, 3), big.subarray(3, 60_000), big.subarray(60_000)));
    assert.equal(e.contentLength, big.length);
    const got = await store.files.get(u, '/priv/big.bin');
    assert.ok(got);
    assert.equal(got.inline, null, 'large body is a blob file');
    assert.deepEqual(await collect(got.body), big);
    assert.ok(existsSync(join(dataDir, 'blobs', bytesToHex(e.contentHash).slice(0, 2))));

    const small = await store.files.get(u, '/pub/hello.txt');
    assert.ok(small?.inline);
    assert.equal(Buffer.from(small.inline).toString(), 'hello');
    assert.equal((await collect(small.body)).toString(), 'hello');

    const h = await store.files.head(u, '/pub/hello.txt');
    assert.equal(h?.etag, hello.etag);
    assert.equal(await store.files.head(u, '/pub/missing'), null);
    assert.equal(await store.files.get(randomUserKey(), '/pub/hello.txt'), null);
    assert.equal(await store.files.get(u, '/pub/'), null);
  } finally {
    await cleanup();
  }
});

test('overwrite and delete release blob files; identical contents share one blob', async () => {
  const { store, dataDir, cleanup } = await tempStore({ inlineThreshold: 4 });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const blobFiles = () => readdirSync(join(dataDir, 'blobs'), { recursive: true }).filter((n) => /[0-9a-f]{64}$/.test(String(n))).length;
    await putText(store, u, '/pub/a', 'same content');
    await putText(store, u, '/pub/b', 'same content');
    assert.equal(blobFiles(), 1);
    await store.files.delete(u, '/pub/a');
    assert.equal(blobFiles(), 1, 'still referenced by /pub/b');
    assert.equal((await collect((await store.files.get(u, '/pub/b'))!.body)).toString(), 'same content');
    await putText(store, u, '/pub/b', 'other content');
    assert.equal(blobFiles(), 1, 'old blob unlinked, new one written');
    await putText(store, u, '/pub/b', 'tiny');
    assert.equal(blobFiles(), 0, 'now inline');
    await store.files.delete(u, '/pub/b');
    await assert.rejects(store.files.delete(u, '/pub/b'), isCode('not_found', 404));
  } finally {
    await cleanup();
  }
});

test('quota: exact accounting on create, overwrite, delete; 507 early and final', async () => {
  const { store, cleanup } = await tempStore({ defaultQuotaMb: 1 });
  try {
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

    // Fill up to exactly the limit: 1 MiB - 256 (b) - 256 (overhead of c).
    const exact = 1_048_576 - 512;
    await store.files.put(u, '/pub/c', chunks(Buffer.alloc(exact)));
    assert.equal(await used(), 1_048_576);
    await assert.rejects(store.files.put(u, '/pub/d', chunks('x')), isCode('quota_exceeded', 507));
    await assert.rejects(store.files.put(u, '/pub/d', chunks(), { sizeHint: 0 }), isCode('quota_exceeded', 507));
    // Shrinking an existing file is allowed at the limit.
    await store.files.put(u, '/pub/c', chunks(Buffer.alloc(10)));
    assert.equal(await used(), 256 + 266);
    // Early check from the size hint refuses before reading the body.
    let read = false;
    async function* body() {
      read = true;
      yield Buffer.alloc(1);
    }
    await assert.rejects(store.files.put(u, '/pub/e', body(), { sizeHint: 2_000_000 }), isCode('quota_exceeded', 507));
    assert.equal(read, false);
    // Streaming check: an undeclared oversized body is refused while streaming.
    await assert.rejects(store.files.put(u, '/pub/f', chunks(Buffer.alloc(600_000), Buffer.alloc(600_000))), isCode('quota_exceeded', 507));
    assert.equal(await used(), 522, 'failed writes charge nothing');
    assert.equal(await store.files.head(u, '/pub/f'), null);

    // Per-user override: -1 unlimited, n MB.
    await store.users.setQuota(u, { storageQuotaMb: -1 });
    await store.files.put(u, '/pub/big', chunks(Buffer.alloc(1_200_000)));
    await store.users.setQuota(u, { storageQuotaMb: 0 });
    await assert.rejects(store.files.put(u, '/pub/g', chunks('x')), isCode('quota_exceeded', 507));
    await store.files.delete(u, '/pub/big');
    assert.equal(await used(), 522);
  } finally {
    await cleanup();
  }
});

test('concurrent writes at the quota edge: the final check holds', async () => {
  const { store, cleanup } = await tempStore({ defaultQuotaMb: 1 });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const size = 300_000;
    const results = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((i) => store.files.put(u, `/pub/f${i}`, chunks(Buffer.alloc(size)))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(ok, 3);
    for (const r of results) if (r.status === 'rejected') assert.ok(isCode('quota_exceeded', 507)(r.reason));
    assert.equal((await store.users.get(u))!.usedBytes, 3 * (size + 256));
  } finally {
    await cleanup();
  }
});

test('file/folder collisions (spec §2.3) and admin bypass', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    await putText(store, u, '/pub/a', 'file');
    await assert.rejects(putText(store, u, '/pub/a/b', 'x'), isCode('path_collision', 409));
    await assert.rejects(putText(store, u, '/pub/a/b/c', 'x'), isCode('path_collision', 409));
    await putText(store, u, '/pub/a', 'overwrite is fine');
    await putText(store, u, '/pub/d/x', 'x');
    await assert.rejects(putText(store, u, '/pub/d', 'x'), isCode('path_collision', 409));
    // Siblings sharing a prefix are not collisions.
    await putText(store, u, '/pub/d-x', 'x');
    await putText(store, u, '/pub/d0', 'x');
    await putText(store, u, '/pub/a.txt', 'x');
    await store.files.put(u, '/pub/a/admin', chunks('x'), { admin: true });
    assert.ok(await store.files.head(u, '/pub/a/admin'));
  } finally {
    await cleanup();
  }
});

test('collisions stay exact while ancestors are remembered as directories: own writes, direct SQL, other connections, rollbacks', async () => {
  const { store, dataDir, cleanup } = await tempStore();
  const writer = store.writer;
  const other = new Database(join(dataDir, 'homeserver.sqlite'));
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const id = (await store.users.get(u))!.id;
    // /pub, /pub/m and /pub/m/a are learnt as holding no entry…
    await putText(store, u, '/pub/m/a/f1', 'x');
    assert.ok(writer.isKnownNonFile(id, '/pub/m/a'));
    // …until one of them becomes a file: through the store,
    await store.files.delete(u, '/pub/m/a/f1');
    await putText(store, u, '/pub/m/a', 'now a file');
    assert.equal(writer.isKnownNonFile(id, '/pub/m/a'), false);
    await assert.rejects(putText(store, u, '/pub/m/a/f2', 'x'), isCode('path_collision', 409));
    // through direct SQL on the store's connection,
    await putText(store, u, '/pub/s/t/f', 'x');
    store.db.prepare('DELETE FROM entries WHERE user_id = ? AND path = ?').run(id, '/pub/s/t/f');
    store.db
      .prepare("INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at) VALUES (?, '/pub/s/t', zeroblob(32), 0, 'text/plain', x'', 0, 0)")
      .run(id);
    await assert.rejects(putText(store, u, '/pub/s/t/g', 'x'), isCode('path_collision', 409));
    // and through another connection (another process), seen through data_version.
    await putText(store, u, '/pub/o/p/f', 'x');
    other.prepare('DELETE FROM entries WHERE user_id = ? AND path = ?').run(id, '/pub/o/p/f');
    other
      .prepare("INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at) VALUES (?, '/pub/o/p', zeroblob(32), 0, 'text/plain', x'', 0, 0)")
      .run(id);
    await assert.rejects(putText(store, u, '/pub/o/p/g', 'x'), isCode('path_collision', 409));
    // The same, with the writer's record passed in (no lookup, hence no data_version check, before
    // the commit): the commit-time check itself sees the other connection's write.
    await putText(store, u, '/pub/v/w/f', 'x');
    const record = (await store.users.get(u))!;
    other.prepare('DELETE FROM entries WHERE user_id = ? AND path = ?').run(id, '/pub/v/w/f');
    other
      .prepare("INSERT INTO entries (user_id, path, content_hash, content_length, content_type, inline_data, modified_at, created_at) VALUES (?, '/pub/v/w', zeroblob(32), 0, 'text/plain', x'', 0, 0)")
      .run(id);
    await assert.rejects(store.rawFiles.put(u, '/pub/v/w/g', chunks('x'), { resolvedUser: record, sizeHint: 1 }), isCode('path_collision', 409));
    // A batch rolled back after a job learnt an ancestor as empty forgets it: here the first pass
    // deletes /pub/r, a PUT under it learns /pub/r as empty, a third job fails; on the second pass
    // (savepoints) nothing deletes /pub/r, so the PUT collides, and so must a later one.
    await putText(store, u, '/pub/r', 'file');
    const deleteR = store.db.prepare('DELETE FROM entries WHERE user_id = ? AND path = ?');
    let pass = 0;
    const queued = (): number => (writer.committer as unknown as { queue: unknown[] }).queue.length;
    const first = writer.committer.submit(() => {
      if (++pass === 1) deleteR.run(id, '/pub/r');
    });
    // A declared small size: no early collision check, only the one at commit time.
    const put = store.files.put(u, '/pub/r/x', chunks('x'), { sizeHint: 1 });
    // The PUT stages its body over a few microtasks; its job must be queued before the failing one.
    for (let i = 0; i < 1000 && queued() < 2; i++) await Promise.resolve();
    assert.equal(queued(), 2, 'the PUT is in the same batch');
    const third = writer.committer.submit(() => {
      if (pass === 1) throw new Error('fails on the first pass only');
    });
    const [firstR, putR, thirdR] = await Promise.allSettled([first, put, third]);
    assert.equal(pass, 2, 'the batch ran twice');
    assert.equal(firstR.status, 'fulfilled');
    assert.equal(thirdR.status, 'fulfilled');
    assert.equal(putR.status, 'rejected');
    assert.ok(isCode('path_collision', 409)((putR as PromiseRejectedResult).reason));
    assert.equal(writer.isKnownNonFile(id, '/pub/r'), false);
    await assert.rejects(putText(store, u, '/pub/r/y', 'x'), isCode('path_collision', 409));
    // Plain writes under known directories still succeed and are found.
    await putText(store, u, '/pub/m/b/c', 'y');
    assert.ok(await store.files.head(u, '/pub/m/b/c'));
  } finally {
    other.close();
    await cleanup();
  }
});

test('listing: deep, shallow, cursor, reverse, limit, byte order, LIKE wildcards', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    const other = randomUserKey();
    await store.users.create(u);
    await store.users.create(other);
    const files = [
      '/pub/a.com/1', '/pub/example.com/x', '/pub/example.com/y/z', '/pub/example.con-file', '/pub/example.con/q',
      '/pub/file', '/pub/file2', '/pub/z.com/a', '/pub/a_b/1', '/pub/axb/2', '/pub/p%q/3', '/pub/pxq/4', '/pub/ü',
      '/priv/secret',
    ];
    for (const f of files) await putText(store, u, f, f);
    await putText(store, other, '/pub/file3', 'not mine');

    const pubFiles = files.filter((f) => f.startsWith('/pub/')).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(await store.files.list(u, '/pub/', { limit: 1000 }), pubFiles);
    assert.deepEqual(await store.files.list(u, '/pub/', { limit: 1000, reverse: true }), [...pubFiles].reverse());
    assert.ok(pubFiles.indexOf('/pub/example.con-file') < pubFiles.indexOf('/pub/example.con/q'), "'-' < '/'");
    assert.equal(pubFiles[pubFiles.length - 1], '/pub/ü', 'UTF-8 bytes sort after ASCII');

    // Pagination with cursors covers everything exactly once.
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
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/file', limit: 2, reverse: true }), ['/pub/example.con/q', '/pub/example.con-file']);

    // Wildcards in the directory are literal.
    assert.deepEqual(await store.files.list(u, '/pub/a_b/'), ['/pub/a_b/1']);
    assert.deepEqual(await store.files.list(u, '/pub/p%q/'), ['/pub/p%q/3']);

    // Shallow, example of spec §2.4.
    const shallow = await store.files.list(u, '/pub/', { shallow: true, limit: 100 });
    assert.deepEqual(shallow, [
      '/pub/a.com/', '/pub/a_b/', '/pub/axb/', '/pub/example.com/', '/pub/example.con-file', '/pub/example.con/',
      '/pub/file', '/pub/file2', '/pub/p%q/', '/pub/pxq/', '/pub/z.com/', '/pub/ü',
    ]);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, reverse: true }), [...shallow!].reverse());
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/example.com/', limit: 3 }), [
      '/pub/example.con-file', '/pub/example.con/', '/pub/file',
    ]);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/example.con/', limit: 2, reverse: true }), [
      '/pub/example.con-file', '/pub/example.com/',
    ]);
    const shallowPages: string[] = [];
    cursor = null;
    for (let i = 0; i < 20; i++) {
      const page: string[] = (await store.files.list(u, '/pub/', { shallow: true, limit: 5, cursor, reverse: true }))!;
      if (page.length === 0) break;
      shallowPages.push(...page);
      cursor = page[page.length - 1];
    }
    assert.deepEqual(shallowPages, [...shallow!].reverse());
    assert.deepEqual(await store.files.list(u, '/pub/example.com/', { shallow: true }), ['/pub/example.com/x', '/pub/example.com/y/']);

    // Empty directory → null (404); cursor past the end → [].
    assert.equal(await store.files.list(u, '/pub/nothing/'), null);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/zzzzz' }), ['/pub/ü']);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/ü' }), []);
    assert.equal(await store.files.list(randomUserKey(), '/pub/'), null);
    assert.deepEqual(await store.files.list(u, '/pub/', { limit: 1 }), ['/pub/a.com/1']);
  } finally {
    await cleanup();
  }
});

test('racing writes and deletes of shared contents never lose a referenced blob', async () => {
  const { store, dataDir, cleanup } = await tempStore({ inlineThreshold: 16 });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    const contents = ['A', 'B', 'C'].map((c) => Buffer.alloc(5000, c));
    const ops: Promise<unknown>[] = [];
    for (let round = 0; round < 30; round++) {
      for (let p = 0; p < 6; p++) {
        const path = `/pub/r/${p}`;
        if ((round + p) % 3 === 0) ops.push(store.files.delete(u, path).catch(() => undefined));
        else ops.push(store.files.put(u, path, chunks(contents[(round * p) % 3])));
        ops.push(store.files.get(u, path).then(async (g) => (g ? collect(g.body) : null)));
      }
      if (round % 5 === 0) await Promise.all(ops.splice(0));
    }
    await Promise.all(ops);
    const listed = (await store.files.list(u, '/pub/r/')) ?? [];
    let usage = 0;
    for (const path of listed) {
      const g = await store.files.get(u, path);
      assert.ok(g, path);
      const bytes = await collect(g.body);
      assert.ok(contents.some((c) => c.equals(bytes)), `${path} has one of the written contents`);
      usage += bytes.length + 256;
    }
    assert.equal((await store.users.get(u))!.usedBytes, usage);
    const refs = store.db.prepare('SELECT hash, refcount FROM blob_files').all() as { hash: Buffer; refcount: number }[];
    const counts = store.db.prepare('SELECT content_hash AS hash, COUNT(*) AS n FROM entries WHERE inline_data IS NULL GROUP BY content_hash').all() as { hash: Buffer; n: number }[];
    assert.deepEqual(
      refs.map((r) => [r.hash.toString('hex'), r.refcount]).sort(),
      counts.map((c) => [c.hash.toString('hex'), c.n]).sort(),
      'refcounts match the entries',
    );
    const files = readdirSync(join(dataDir, 'blobs'), { recursive: true }).map(String).filter((n) => /[0-9a-f]{64}$/.test(n));
    assert.equal(files.length, refs.length, 'no orphan and no missing blob file');
  } finally {
    await cleanup();
  }
});

test('usage summed per batch: mixed puts, overwrites, deletes and a failing job in one commit', async () => {
  const { store, cleanup } = await tempStore({ defaultQuotaMb: 1 });
  try {
    const u = randomUserKey();
    await store.users.create(u);
    await putText(store, u, '/pub/keep', 'k'.repeat(100));
    await putText(store, u, '/pub/gone', 'g'.repeat(50));
    await putText(store, u, '/pub/dir/file', 'f');
    const before = store.writer.commits;
    const results = await Promise.allSettled([
      putText(store, u, '/pub/new', 'n'.repeat(10)),
      putText(store, u, '/pub/dir', 'collides'),
      store.files.delete(u, '/pub/gone'),
      putText(store, u, '/pub/keep', 'k'.repeat(30)),
      store.files.put(u, '/pub/huge', chunks(Buffer.alloc(1_048_576 - 600))),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
    assert.ok(store.writer.commits - before <= 2, 'the small writes shared a commit');
    const expected = (30 + 256) + (1 + 256) + (10 + 256);
    assert.equal((await store.users.get(u))!.usedBytes, expected);
    const row = store.db.prepare('SELECT used_bytes FROM users WHERE public_key = ?').pluck().get(u);
    assert.equal(row, expected, 'stored value');
  } finally {
    await cleanup();
  }
});

test('listing cursors compare in byte order, also for characters above U+FFFF', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const u = randomUserKey();
    await store.users.create(u);
    for (const p of ['/pub/\uFF5E', '/pub/\u{1F600}', '/pub/\u{1F600}x/y']) await store.files.put(u, p, chunks('x'));
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true }), ['/pub/\uFF5E', '/pub/\u{1F600}', '/pub/\u{1F600}x/']);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/\uFF5E' }), ['/pub/\u{1F600}', '/pub/\u{1F600}x/']);
    assert.deepEqual(await store.files.list(u, '/pub/', { shallow: true, cursor: '/pub/\u{1F600}x/', reverse: true }), ['/pub/\u{1F600}', '/pub/\uFF5E']);
    assert.deepEqual(await store.files.list(u, '/pub/', { cursor: '/pub/\uFF5E' }), ['/pub/\u{1F600}', '/pub/\u{1F600}x/y']);
  } finally {
    await cleanup();
  }
});
