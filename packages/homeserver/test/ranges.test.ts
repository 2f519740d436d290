import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, signup, startTestServer, type TestServer } from './helpers.ts';

// HTTP ranges (RFC 9110 §14) on the client API and on WebDAV, for inline and blob files, over real HTTP.
let hs: TestServer;
const BASIC = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
const big = Buffer.alloc(300_000);
for (let i = 0; i < big.length; i++) big[i] = (i * 13 + (i >> 8)) & 0xff;
const small = Buffer.from('0123456789abcdefghij');
let z = '';
let kp: Awaited<ReturnType<typeof signup>>['kp'];
let cookie = '';

before(async () => {
  hs = await startTestServer({ storage: { default_quota_mb: 10 } });
  ({ kp, cookie } = await signup(hs));
  z = kp.publicKey.z32;
  for (const [path, body] of [
    ['/pub/big.bin', big],
    ['/pub/small.txt', small],
    ['/priv/big.bin', big],
    ['/pub/empty', Buffer.alloc(0)],
  ] as const) {
    assert.equal((await hs.req(path, { method: 'PUT', body, headers: as(kp, cookie) })).status, 201, path);
  }
});
after(() => hs.stop());

/** The same file through the client API and through the admin WebDAV mount. */
const ways = [
  [
    'api',
    (path: string, headers: Record<string, string> = {}, method = 'GET') => hs.req(path, { method, headers: as(kp, cookie, headers) }),
  ],
  [
    'dav',
    (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      fetch(`${hs.adminUrl}/dav/${z}${path}`, { method, headers: { authorization: BASIC, ...headers } }),
  ],
] as const;

test('a WebDAV GET of a file over 64 KiB sends all of it (it used to answer 200 with content-length 0)', async () => {
  const r = await fetch(`${hs.adminUrl}/dav/${z}/pub/big.bin`, { headers: { authorization: BASIC } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-length'), String(big.length));
  assert.ok(Buffer.from(await r.arrayBuffer()).equals(big));
});

for (const [way, get] of ways) {
  test(`${way}: Range answers 206 with exactly the bytes, for blob and inline files`, async () => {
    const cases: [string, string, Buffer, number, number][] = [
      ['/pub/big.bin', 'bytes=100-199', big, 100, 199],
      ['/pub/big.bin', 'bytes=65530-65545', big, 65530, 65545],
      ['/pub/big.bin', 'bytes=-10', big, big.length - 10, big.length - 1],
      ['/pub/big.bin', 'bytes=299990-', big, 299990, big.length - 1],
      ['/pub/big.bin', 'bytes=299990-400000', big, 299990, big.length - 1],
      ['/pub/big.bin', 'bytes=0-0', big, 0, 0],
      ['/pub/small.txt', 'bytes=2-4', small, 2, 4],
      ['/pub/small.txt', 'bytes=-100', small, 0, small.length - 1],
      ['/pub/small.txt', 'Bytes = 5 - 6', small, 5, 6],
    ];
    if (way === 'api') cases.push(['/priv/big.bin', 'bytes=1000-2999', big, 1000, 2999]);
    for (const [path, range, whole, start, end] of cases) {
      const r = await get(path, { range });
      assert.equal(r.status, 206, `${path} ${range}`);
      assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${whole.length}`, range);
      assert.equal(r.headers.get('content-length'), String(end - start + 1), range);
      assert.equal(r.headers.get('accept-ranges'), 'bytes');
      assert.ok(r.headers.get('etag'), 'the validator travels with a part');
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(whole.subarray(start, end + 1)), `${path} ${range}`);
    }
  });

  test(`${way}: an unsatisfiable range is a 416 naming the size; ranges it cannot serve get the whole file`, async () => {
    for (const [path, range, size] of [
      ['/pub/big.bin', `bytes=${big.length}-`, big.length],
      ['/pub/small.txt', 'bytes=20-30', small.length],
      ['/pub/empty', 'bytes=0-0', 0],
      ['/pub/empty', 'bytes=-5', 0],
      ['/pub/small.txt', 'bytes=-0', small.length],
    ] as const) {
      const r = await get(path, { range });
      assert.equal(r.status, 416, `${path} ${range}`);
      assert.equal(r.headers.get('content-range'), `bytes */${size}`);
      assert.match(await r.text(), /Range Not Satisfiable/);
    }
    // Several ranges, another unit, reversed or malformed specs: ignored (RFC 9110 §14.2), whole file.
    for (const range of [
      'bytes=0-1,5-6',
      'items=0-1',
      'bytes=9-2',
      'bytes=abc',
      'bytes=',
      'bytes=--1',
      `bytes=0-${'9'.repeat(300)}`,
      'bytes=1-2;x',
    ]) {
      const r = await get('/pub/small.txt', { range });
      assert.equal(r.status, 200, range);
      assert.equal(await r.text(), small.toString(), range);
    }
    assert.equal((await get('/pub/missing', { range: 'bytes=0-1' })).status, 404);
  });

  test(`${way}: If-Range keeps the range only for the current strong ETag or exact date; HEAD advertises ranges`, async () => {
    const head = await get('/pub/big.bin', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('accept-ranges'), 'bytes');
    assert.equal(head.headers.get('content-length'), String(big.length));
    const etag = head.headers.get('etag')!;
    const lastModified = head.headers.get('last-modified')!;
    const part = async (ifRange: string) => (await get('/pub/big.bin', { range: 'bytes=10-19', 'if-range': ifRange })).status;
    assert.equal(await part(etag), 206);
    assert.equal(await part(lastModified), 206);
    assert.equal(await part('"AAAA"'), 200, 'another version: the whole file');
    assert.equal(await part(`W/${etag}`), 200, 'a weak tag never matches');
    assert.equal(await part('Sat, 01 Jan 2000 00:00:00 GMT'), 200);
    assert.equal(await part('garbage'), 200);
    const r = await get('/pub/big.bin', { range: 'bytes=10-19', 'if-range': '"AAAA"' });
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(big));
  });
}

test('a conditional GET that matches is still 304, whatever Range says', async () => {
  const etag = (await hs.req('/pub/big.bin', { method: 'HEAD', headers: as(kp) })).headers.get('etag')!;
  const r = await hs.req('/pub/big.bin', { headers: as(kp, undefined, { range: 'bytes=0-1', 'if-none-match': etag }) });
  assert.equal(r.status, 304);
});
