/**
 * Ranged reads (`ReadOptions.range`) every profile must serve alike: inline, empty and blob files,
 * ranges inside one chunk, across chunk boundaries and past a single-statement read, the selector
 * seeing the entry whose bytes are sent, and its errors reaching the caller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunks, collect, randomUserKey } from '../storage-helpers.ts';
import type { ByteRange, FileEntry } from '../../src/storage/types.ts';
import type { StoreFactory } from './store-suite.ts';

export function rangeSuite(profile: string, factory: StoreFactory): void {
  test(`[${profile}] ranged reads of inline and blob files return exactly the bytes asked for`, async () => {
    const s = await factory({ inlineThreshold: 1024 });
    try {
      const { store } = s;
      const u = randomUserKey();
      await store.users.create(u);
      // 2.3 MB: more than one 256 KiB chunk and more than a 1 MiB single read.
      const big = Buffer.alloc(2_300_000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 0xff;
      await store.files.put(u, '/pub/big.bin', chunks(big.subarray(0, 1000), big.subarray(1000)));
      const small = Buffer.from('0123456789abcdef');
      await store.files.put(u, '/pub/small.txt', chunks(small));
      await store.files.put(u, '/pub/empty', chunks());

      const read = async (path: string, range: ByteRange | null) => {
        let seen: FileEntry | null = null;
        const c = await store.files.get(u, path, { range: (e) => ((seen = e), range) });
        assert.ok(c);
        assert.equal(seen, c.entry, 'the selector sees the entry that is read');
        return { content: c, bytes: await collect(c.body) };
      };
      const K = 256 * 1024;
      const spans: ByteRange[] = [
        { start: 0, end: 0 },
        { start: 0, end: big.length - 1 },
        { start: big.length - 1, end: big.length - 1 },
        { start: K - 1, end: K },
        { start: K, end: 2 * K - 1 },
        { start: 100, end: 3 * K + 5 },
        { start: 1_000_000, end: 1_000_000 + 1024 * 1024 - 1 },
        { start: 5, end: 2_000_000 },
      ];
      for (let i = 0; i < 20; i++) {
        const a = Math.floor(Math.random() * big.length);
        spans.push({ start: a, end: a + Math.floor(Math.random() * (big.length - a)) });
      }
      for (const span of spans) {
        const { content, bytes } = await read('/pub/big.bin', span);
        assert.deepEqual(content.range, span);
        assert.equal(bytes.length, span.end - span.start + 1, `${span.start}-${span.end}`);
        assert.ok(bytes.equals(big.subarray(span.start, span.end + 1)), `${span.start}-${span.end}`);
      }
      const whole = await read('/pub/big.bin', null);
      assert.equal(whole.content.range, undefined);
      assert.ok(whole.bytes.equals(big));

      const part = await read('/pub/small.txt', { start: 3, end: 6 });
      assert.equal(part.bytes.toString(), '3456');
      assert.equal(Buffer.from(part.content.inline!).toString(), '3456', 'inline holds only the range');
      // Twice: the second read comes from the SQLite read cache.
      assert.equal((await read('/pub/small.txt', { start: 15, end: 15 })).bytes.toString(), 'f');
      assert.equal((await read('/pub/small.txt', null)).bytes.toString(), small.toString());

      // The selector decides from the entry; what it throws, get throws; nothing is read then.
      await assert.rejects(
        store.files.get(u, '/pub/empty', {
          range: (e) => {
            throw new Error(`no bytes in ${e.contentLength}`);
          },
        }),
        /no bytes in 0/,
      );
      await assert.rejects(
        store.files.get(u, '/pub/small.txt', { range: () => ({ start: 10, end: 16 }) }),
        RangeError,
        'a range past the end is a bug, refused',
      );
      assert.equal(await store.files.get(u, '/pub/missing', { range: () => ({ start: 0, end: 0 }) }), null);
    } finally {
      await s.cleanup();
    }
  });
}
