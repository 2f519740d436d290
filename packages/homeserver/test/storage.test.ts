import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { as, rawRequest, signup, startTestServer, type TestServer } from './helpers.ts';

describe('storage routes (legacy and path-addressed)', () => {
  let hs: TestServer;
  let kp: Keypair;
  let cookie: string;
  let z: string;
  before(async () => {
    hs = await startTestServer({ drive: { max_file_bytes: 4096 }, storage: { default_quota_mb: 1 } });
    ({ kp, cookie } = await signup(hs));
    z = kp.publicKey.z32;
  });
  after(() => hs.stop());

  const put = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    hs.req(path, { method: 'PUT', body, headers: { ...as(kp, cookie), ...headers } });

  test('PUT 201, GET with ETag (BLAKE3 base64) and Last-Modified, HEAD, 304s, DELETE 204', async () => {
    assert.equal((await put('/pub/hello.txt', 'hello')).status, 201);
    let r = await hs.req('/pub/hello.txt', { headers: as(kp) });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'hello');
    const etag = r.headers.get('etag');
    assert.equal(etag, '"6o8WPbOGgpJeRJHF5Y1Ls1Bu+MFOt4qG6QjFYkpnIA8="');
    assert.equal(r.headers.get('content-type'), 'text/plain');
    assert.equal(r.headers.get('cache-control'), 'private, must-revalidate');
    assert.equal(r.headers.get('vary'), 'pubky-host, Origin');
    const lm = r.headers.get('last-modified')!;
    assert.ok(!Number.isNaN(Date.parse(lm)));
    r = await hs.req('/pub/hello.txt', { method: 'HEAD', headers: as(kp) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), '5');
    assert.equal(r.headers.get('etag'), etag);
    r = await hs.req('/pub/hello.txt', { headers: as(kp, undefined, { 'if-none-match': `"x", ${etag}` }) });
    assert.equal(r.status, 304);
    assert.equal(r.headers.get('etag'), etag);
    r = await hs.req('/pub/hello.txt', { headers: as(kp, undefined, { 'if-none-match': '"other"', 'if-modified-since': lm }) });
    assert.equal(r.status, 200, 'If-None-Match alone decides');
    r = await hs.req('/pub/hello.txt', { headers: as(kp, undefined, { 'if-modified-since': lm }) });
    assert.equal(r.status, 304);
    r = await hs.req('/pub/hello.txt', { headers: as(kp, undefined, { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }) });
    assert.equal(r.status, 200);
    // path-addressed sees the same file, without Vary: pubky-host
    r = await hs.req(`/storage/${z}/pub/hello.txt`);
    assert.equal(await r.text(), 'hello');
    assert.equal(r.headers.get('vary'), 'Origin');
    assert.equal(r.headers.get('cache-control'), 'private, must-revalidate');
    r = await hs.req(`/storage/${z}/pub/hello.txt`, { method: 'DELETE', headers: { cookie } });
    assert.equal(r.status, 204);
    r = await hs.req('/pub/hello.txt', { headers: as(kp) });
    assert.equal(r.status, 404);
    assert.equal(await r.text(), 'Not Found');
    assert.equal((await hs.req('/pub/hello.txt', { method: 'DELETE', headers: as(kp, cookie) })).status, 404);
    assert.equal((await hs.req('/pub/hello.txt', { method: 'HEAD', headers: as(kp) })).status, 404);
  });

  test('empty body ETag vector; binary round trip; large (streamed) file', async () => {
    assert.equal((await put('/pub/empty', new Uint8Array())).status, 201);
    assert.equal(
      (await hs.req('/pub/empty', { method: 'HEAD', headers: as(kp) })).headers.get('etag'),
      '"rxNJufX5oaagQE3qNtzJSZvLJcmtwRK3zJqTyuQfMmI="',
    );
    assert.equal((await put('/pub/bytes', Uint8Array.of(1, 2, 3, 4, 5))).status, 201);
    assert.equal((await hs.req('/pub/bytes', { headers: as(kp) })).headers.get('etag'), '"Ak9nwEJaPcAvuvWMuT3lEy49dcUZ+qC62iFJHYjJcFc="');
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    await put('/pub/foo', png, { 'content-type': 'text/html' });
    assert.equal((await hs.req('/pub/foo', { headers: as(kp) })).headers.get('content-type'), 'image/png');
    const big = new Uint8Array(4000).map((_, i) => i % 251);
    assert.equal((await put('/pub/big.bin', big)).status, 201);
    const got = new Uint8Array(await (await hs.req('/pub/big.bin', { headers: as(kp) })).arrayBuffer());
    assert.deepEqual(got, big);
  });

  test('write authorization: 401 without session, 403 other roots/tenant/capability', async () => {
    let r = await hs.req('/pub/x', { method: 'PUT', body: 'x', headers: as(kp) });
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'No authenticated session found');
    r = await put('/other/x', 'x');
    assert.equal(r.status, 403);
    assert.equal(await r.text(), "Writing to directories other than '/pub/' and '/priv/' is forbidden");
    const other = await signup(hs);
    // the other user's cookie is named after them: not selected for kp's tenant → 401
    r = await hs.req('/pub/x', { method: 'PUT', body: 'x', headers: as(kp, other.cookie) });
    assert.equal(r.status, 401);
    r = await hs.req(`/storage/${z}/pub/x`, { method: 'PUT', body: 'x', headers: { cookie: other.cookie } });
    assert.equal(r.status, 401);
    const limited = await signup(hs, Keypair.random(), '/pub/app/:rw');
    const lz = limited.kp.publicKey.z32;
    assert.equal(
      (await hs.req(`/storage/${lz}/pub/app/ok`, { method: 'PUT', body: 'x', headers: { cookie: limited.cookie } })).status,
      201,
    );
    r = await hs.req(`/storage/${lz}/pub/apple`, { method: 'PUT', body: 'x', headers: { cookie: limited.cookie } });
    assert.equal(r.status, 403);
    assert.equal(await r.text(), 'Session does not have write access to path');
  });

  test('private storage: owner reads, anonymous 401, no-store + Vary, validators dropped on errors', async () => {
    assert.equal((await put('/priv/secret.txt', 'shh')).status, 201);
    let r = await hs.req('/priv/secret.txt', { headers: as(kp) });
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'Authentication required to read private storage');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('vary'), 'pubky-host, Authorization, Cookie, Origin');
    r = await hs.req('/priv/secret.txt', { headers: as(kp, cookie) });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'shh');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.ok(r.headers.get('etag'));
    r = await hs.req(`/storage/${z}/priv/secret.txt`, { headers: { cookie } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('vary'), 'Authorization, Cookie, Origin');
    const raw = await rawRequest(hs.url, 'GET', '/pub/%2e%2e/priv/missing', as(kp, cookie));
    assert.equal(raw.status, 404);
    assert.equal(raw.headers['cache-control'], 'no-store');
    assert.equal(raw.headers.etag, undefined);
    const reader = await signup(hs, Keypair.random(), '/pub/:r');
    r = await hs.req(`/storage/${reader.kp.publicKey.z32}/priv/x`, { headers: { cookie: reader.cookie } });
    assert.equal(r.status, 403);
    assert.equal(await r.text(), 'Session does not have read access to path');
    r = await hs.req('/etc/passwd', { headers: as(kp) });
    assert.equal(r.status, 403);
    assert.equal(await r.text(), "Reading from directories other than '/pub/' and '/priv/' is forbidden");
  });

  test('paths: directory targets, traversal, control chars, whitespace, backslash, long segments', async () => {
    let r = await put('/pub/dir/', 'x');
    assert.equal(r.status, 400);
    assert.equal(await r.text(), 'Invalid URL: target path must be a file');
    r = await hs.req(`/storage/${z}/pub/dir/`, { method: 'PUT', body: 'x', headers: { cookie } });
    assert.equal(await r.text(), 'Target path must be a file');
    for (const bad of [
      '/pub/%2e%2e/%2e%2e/x',
      '/pub/../../x',
      '/pub/a%00b',
      '/pub/report%20',
      '/pub/a%5Cb',
      `/pub/${'a'.repeat(256)}`,
      '/pub/%FF',
      `/pub/${'abcd/'.repeat(200)}x`,
    ]) {
      const w = await rawRequest(hs.url, 'PUT', bad, as(kp, cookie), 'x');
      assert.equal(w.status, 400, bad);
      assert.match(w.body.toString(), /^Invalid URL: /, bad);
      const g = await rawRequest(hs.url, 'GET', `/storage/${z}${bad}`, { cookie });
      assert.equal(g.status, 400, bad);
      assert.match(g.body.toString(), /^(Invalid storage path: |Storage path is not valid UTF-8)/, bad);
    }
    // `..` that stays inside the tree is normalised
    assert.equal((await rawRequest(hs.url, 'PUT', '/pub/a/%2e%2e/norm.txt', as(kp, cookie), 'n')).status, 201);
    assert.equal(await (await hs.req('/pub/norm.txt', { headers: as(kp) })).text(), 'n');
  });

  test('409 file/folder collision', async () => {
    assert.equal((await put('/pub/col/file', 'x')).status, 201);
    let r = await put('/pub/col', 'x');
    assert.equal(r.status, 409);
    assert.equal(await r.text(), 'File/folder path collision');
    r = await put('/pub/col/file/deeper', 'x');
    assert.equal(r.status, 409);
  });

  test('size limits: 413 early on Content-Length and while streaming; quota 507', async () => {
    let r = await put('/pub/too-big', new Uint8Array(5000));
    assert.equal(r.status, 413);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(1000));
        c.close();
      },
    });
    r = await hs.req('/pub/too-big-stream', { method: 'PUT', body: stream, headers: as(kp, cookie), duplex: 'half' } as RequestInit);
    assert.equal(r.status, 413);
    assert.equal((await hs.req('/pub/too-big-stream', { method: 'HEAD', headers: as(kp) })).status, 404, 'nothing partial visible');
    const q = await signup(hs);
    await hs.admin(`/users/${q.kp.publicKey.z32}/quota`, {
      method: 'PATCH',
      body: JSON.stringify({ storage_quota_mb: 0 }),
      headers: { 'content-type': 'application/json' },
    });
    r = await hs.req(`/storage/${q.kp.publicKey.z32}/pub/x`, { method: 'PUT', body: 'abc', headers: { cookie: q.cookie } });
    assert.equal(r.status, 507);
    assert.equal(await r.text(), 'Disk space quota exceeded');
  });

  test('listing: order, limit, cursor, reverse, shallow, strict booleans, 404', async () => {
    const u = await signup(hs);
    const uz = u.kp.publicKey.z32;
    for (const p of [
      '/pub/l/a.com/x',
      '/pub/l/example.com/y',
      '/pub/l/example.con-file',
      '/pub/l/file',
      '/pub/l/file2',
      '/pub/l/z.com/deep/q',
    ]) {
      assert.equal((await hs.req(`/storage/${uz}${p}`, { method: 'PUT', body: 'x', headers: { cookie: u.cookie } })).status, 201);
    }
    const list = async (q: string) => {
      const r = await hs.req(`/pub/l/${q}`, { headers: as(u.kp) });
      return [
        r.status,
        (await r.text())
          .split('\n')
          .filter(Boolean)
          .map((l) => l.replace(`pubky://${uz}`, '')),
      ] as const;
    };
    assert.deepEqual(await list(''), [
      200,
      ['/pub/l/a.com/x', '/pub/l/example.com/y', '/pub/l/example.con-file', '/pub/l/file', '/pub/l/file2', '/pub/l/z.com/deep/q'],
    ]);
    assert.deepEqual(await list('?shallow'), [
      200,
      ['/pub/l/a.com/', '/pub/l/example.com/', '/pub/l/example.con-file', '/pub/l/file', '/pub/l/file2', '/pub/l/z.com/'],
    ]);
    assert.deepEqual(await list('?reverse&limit=2'), [200, ['/pub/l/z.com/deep/q', '/pub/l/file2']]);
    assert.deepEqual(await list(`?limit=2&cursor=pubky://${uz}/pub/l/example.com/y`), [200, ['/pub/l/example.con-file', '/pub/l/file']]);
    assert.deepEqual(await list(`?cursor=${uz}/pub/l/z.com/deep/q`), [200, []]);
    let r = await hs.req('/pub/l/?shallow=maybe', { headers: as(u.kp) });
    assert.equal(r.status, 400);
    assert.equal(await r.text(), 'Invalid boolean parameter');
    r = await hs.req('/pub/l/?cursor=/pub/l/a', { headers: as(u.kp) });
    assert.equal(await r.text(), 'Invalid cursor');
    r = await hs.req('/pub/nothing-here/', { headers: as(u.kp) });
    assert.equal(r.status, 404);
    r = await hs.req(`/storage/${uz}/pub/l/?limit=1`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('vary'), 'Origin');
    r = await hs.req('/pub/l/', { headers: as(u.kp) });
    assert.equal(r.headers.get('vary'), 'pubky-host, Origin');
  });

  test('tenant errors: missing tenant 400, unknown user 404, HEAD on directory 404', async () => {
    let r = await hs.req('/pub/x');
    assert.equal(r.status, 400);
    assert.equal(await r.text(), 'Missing request tenant');
    r = await hs.req(`/storage/${Keypair.random().publicKey.z32}/pub/x`);
    assert.equal(r.status, 404);
    r = await hs.req('/storage/');
    assert.equal(await r.text(), 'Missing storage owner or path');
    r = await hs.req('/pub/', { method: 'HEAD', headers: as(kp) });
    assert.equal(r.status, 404);
    r = await hs.req(`/pub/x?pubky-host=${z}`);
    assert.equal(r.status, 404, 'tenant from the query');
    r = await hs.req('/pub/x', { method: 'POST', headers: as(kp) });
    assert.equal(r.status, 405);
  });

  test('GET / and /info', async () => {
    let r = await hs.req('/');
    assert.equal(await r.text(), 'Pubky Homeserver');
    r = await hs.req('/info', { headers: { 'pubky-host': 'garbage' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await r.json(), { features: ['path-addressed-storage', 'conditional-writes'] });
  });
});
