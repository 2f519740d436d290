import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Encode } from './bytes.ts';
import { parseSseStream, SseParser, type SseMessage } from './sse.ts';

const KEY = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';
const STREAM =
  `: keep-alive\r\n\r\n` +
  `event: PUT\ndata: pubky://${KEY}/pub/über.txt\ndata: cursor: 42\ndata: content_hash: rxNJufX5oaagQE3qNtzJSZvLJcmtwRK3zJqTyuQfMmI=\n\n` +
  `event: DEL\rdata: pubky://${KEY}/pub/old.txt\rdata: cursor: 43\r\r` +
  `id: 7\nretry: 1500\ndata:no-space\ndata\n\n` +
  `event: PUT\ndata: unterminated`;

function all(parser: SseParser, chunks: Uint8Array[]): SseMessage[] {
  const out: SseMessage[] = [];
  for (const c of chunks) out.push(...parser.push(c));
  out.push(...parser.end());
  return out;
}

const EXPECTED: SseMessage[] = [
  {
    event: 'PUT',
    data: `pubky://${KEY}/pub/über.txt\ncursor: 42\ncontent_hash: rxNJufX5oaagQE3qNtzJSZvLJcmtwRK3zJqTyuQfMmI=`,
    lastEventId: '',
  },
  { event: 'DEL', data: `pubky://${KEY}/pub/old.txt\ncursor: 43`, lastEventId: '' },
  { event: 'message', data: 'no-space\n', lastEventId: '7', retry: 1500 },
];

test('parses events, comments, CR/LF/CRLF line ends, id and retry; drops an unterminated message', () => {
  assert.deepEqual(all(new SseParser(), [utf8Encode(STREAM)]), EXPECTED);
});

test('the same messages whatever the chunk boundaries (every split point, single bytes)', () => {
  const bytes = utf8Encode(STREAM);
  for (let i = 0; i <= bytes.length; i++) {
    const got = all(new SseParser(), [bytes.subarray(0, i), bytes.subarray(i)]);
    assert.deepEqual(got, EXPECTED, `split at ${i}`);
  }
  const singles = Array.from(bytes, (b) => Uint8Array.of(b));
  assert.deepEqual(all(new SseParser(), singles), EXPECTED);
  let seed = 3;
  for (let round = 0; round < 200; round++) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; ) {
      seed = (seed * 48271) % 2147483647;
      const n = 1 + (seed % 9);
      chunks.push(bytes.subarray(i, i + n));
      i += n;
    }
    assert.deepEqual(all(new SseParser(), chunks), EXPECTED);
  }
});

test('a CR at a chunk end followed by LF in the next chunk is one line end', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('data: a\r'), []);
  // The LF belongs to the CR before it; the next CR alone ends the (empty) line that dispatches.
  assert.deepEqual(p.push('\n\r'), [{ event: 'message', data: 'a', lastEventId: '' }]);
  assert.deepEqual(p.push('\ndata: b\n\n'), [{ event: 'message', data: 'b', lastEventId: '' }]);
});

test('a leading BOM is skipped', () => {
  const p = new SseParser();
  assert.deepEqual(p.push(Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8Encode('data: x\n\n'))), [
    { event: 'message', data: 'x', lastEventId: '' },
  ]);
});

test('hostile input: endless lines and endless messages are refused with invalid_sse', () => {
  const p = new SseParser({ maxLineLength: 1000 });
  assert.throws(
    () => {
      for (let i = 0; i < 100; i++) p.push('a'.repeat(100));
    },
    { code: 'invalid_sse' },
  );
  const q = new SseParser({ maxMessageLength: 1000 });
  assert.throws(
    () => {
      for (let i = 0; i < 100; i++) q.push(`data: ${'b'.repeat(50)}\n`);
    },
    { code: 'invalid_sse' },
  );
});

test('random bytes never throw anything but invalid_sse and never loop', () => {
  let seed = 11;
  for (let round = 0; round < 300; round++) {
    const p = new SseParser({ maxLineLength: 512 });
    const buf = new Uint8Array(2000);
    for (let i = 0; i < buf.length; i++) {
      seed = (seed * 48271) % 2147483647;
      buf[i] = seed % 5 === 0 ? 10 : seed & 0xff;
    }
    try {
      for (let i = 0; i < buf.length; i += 97) p.push(buf.subarray(i, i + 97));
      p.end();
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'invalid_sse');
    }
  }
});

test('parseSseStream reads a ReadableStream', async () => {
  const bytes = utf8Encode(STREAM);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 5) c.enqueue(bytes.subarray(i, i + 5));
      c.close();
    },
  });
  const got: SseMessage[] = [];
  for await (const m of parseSseStream(stream)) got.push(m);
  assert.deepEqual(got, EXPECTED);
});
