import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { as, signup, startTestServer, type TestServer } from './helpers.ts';

// Conditional writes (If-Match / If-None-Match → 412) on the client API and on WebDAV, over real HTTP.
let hs: TestServer;
const BASIC = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
before(async () => {
  hs = await startTestServer({ storage: { default_quota_mb: 20 } });
});
after(() => hs.stop());

test('/info advertises conditional-writes', async () => {
  assert.ok(((await (await hs.req('/info')).json()) as { features: string[] }).features.includes('conditional-writes'));
});

test('client API: create-only and compare-and-set PUT, conditional DELETE, 412 with nothing written', async () => {
  const { kp, cookie } = await signup(hs);
  const put = (body: string, headers: Record<string, string> = {}) =>
    hs.req('/pub/cas.txt', { method: 'PUT', body, headers: as(kp, cookie, headers) });
  const text = async () => (await hs.req('/pub/cas.txt', { headers: as(kp) })).text();
  let r = await put('v1', { 'if-none-match': '*' });
  assert.equal(r.status, 201);
  const v1 = r.headers.get('etag')!;
  assert.match(v1, /^"[A-Za-z0-9+/=]{44}"$/, 'a PUT answers with the ETag of the bytes it wrote');
  r = await put('v1 again', { 'if-none-match': '*' });
  assert.equal(r.status, 412);
  assert.equal(r.headers.get('pubky-error-code'), 'PRECONDITION_FAILED');
  assert.match(await r.text(), /Precondition Failed/);
  r = await put('v2', { 'if-match': v1 });
  assert.equal(r.status, 201);
  const v2 = r.headers.get('etag')!;
  assert.equal((await put('lost', { 'if-match': v1 })).status, 412, 'a stale ETag');
  assert.equal(await text(), 'v2');
  assert.equal((await hs.req('/pub/missing.txt', { method: 'PUT', body: 'x', headers: as(kp, cookie, { 'if-match': '*' }) })).status, 412);

  assert.equal((await hs.req('/pub/cas.txt', { method: 'DELETE', headers: as(kp, cookie, { 'if-match': v1 }) })).status, 412);
  assert.equal(await text(), 'v2', 'not deleted');
  assert.equal((await hs.req('/pub/cas.txt', { method: 'DELETE', headers: as(kp, cookie, { 'if-match': v2 }) })).status, 204);
  assert.equal((await hs.req('/pub/cas.txt', { headers: as(kp) })).status, 404);
  assert.equal((await hs.req('/pub/cas.txt', { method: 'DELETE', headers: as(kp, cookie, { 'if-match': '*' }) })).status, 412);
});

test('client API: lists, weak tags and garbage are refused with 400, never ignored', async () => {
  const { kp, cookie } = await signup(hs);
  assert.equal((await hs.req('/pub/x.txt', { method: 'PUT', body: 'keep', headers: as(kp, cookie) })).status, 201);
  const etag = (await hs.req('/pub/x.txt', { method: 'HEAD', headers: as(kp) })).headers.get('etag')!;
  for (const [header, value, why] of [
    ['if-match', `${etag}, "other"`, /lists/],
    ['if-match', `W/${etag}`, /weak/],
    ['if-none-match', 'W/"x"', /weak/],
    ['if-match', 'abc', /quoted ETag/],
    ['if-none-match', '"a"b"', /quoted ETag/],
    ['if-match', '', /quoted ETag/],
  ] as const) {
    for (const method of ['PUT', 'DELETE']) {
      const r = await hs.req('/pub/x.txt', {
        method,
        body: method === 'PUT' ? 'changed' : undefined,
        headers: as(kp, cookie, { [header]: value }),
      });
      assert.equal(r.status, 400, `${method} ${header}: ${value}`);
      assert.equal(r.headers.get('pubky-error-code'), 'INVALID_PRECONDITION');
      assert.match(await r.text(), why);
    }
  }
  assert.equal(await (await hs.req('/pub/x.txt', { headers: as(kp) })).text(), 'keep');
});

test('client API: a stale upload is refused before its body is sent', async () => {
  const { kp, cookie } = await signup(hs);
  const url = new URL(hs.url);
  // Headers only: 10 MB declared, no byte of it sent; the answer must come anyway.
  const res = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: '/pub/big.bin',
      agent: false,
      headers: { ...as(kp, cookie), 'content-length': String(10 * 1024 * 1024), 'if-match': '"c3RhbGU="' },
    });
    req.on('response', (r) => {
      r.resume();
      resolve({ status: r.statusCode!, connection: r.headers.connection });
      req.destroy();
    });
    req.on('error', reject);
    req.flushHeaders();
    setTimeout(() => reject(new Error('no answer before the body')), 5000).unref();
  });
  assert.equal(res.status, 412);
  assert.equal(res.connection, 'close', 'the unread upload is not drained');
});

test('client API: concurrent compare-and-set writers over HTTP lose no update', async () => {
  const { kp, cookie } = await signup(hs);
  await hs.req('/pub/n', { method: 'PUT', body: '0', headers: as(kp, cookie) });
  const worker = async () => {
    for (let done = 0; done < 6; ) {
      const g = await hs.req('/pub/n', { headers: as(kp) });
      const etag = g.headers.get('etag')!;
      const n = Number(await g.text());
      const r = await hs.req('/pub/n', { method: 'PUT', body: String(n + 1), headers: as(kp, cookie, { 'if-match': etag }) });
      await r.arrayBuffer();
      if (r.status === 201) done++;
      else assert.equal(r.status, 412);
    }
  };
  await Promise.all(Array.from({ length: 5 }, worker));
  assert.equal(await (await hs.req('/pub/n', { headers: as(kp) })).text(), '30');
});

test('WebDAV: PUT and DELETE honour If-Match / If-None-Match (davfs2 writes with them)', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  const dav = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${hs.adminUrl}/dav/${z}${path}`, { ...init, headers: { authorization: BASIC, ...(init.headers ?? {}) } });
  let r = await dav('/pub/d.txt', { method: 'PUT', body: 'one', headers: { 'if-none-match': '*' } });
  assert.equal(r.status, 201);
  const one = r.headers.get('etag')!;
  assert.equal((await dav('/pub/d.txt', { method: 'PUT', body: 'two', headers: { 'if-none-match': '*' } })).status, 412);
  r = await dav('/pub/d.txt', { method: 'PUT', body: 'two', headers: { 'if-match': one } });
  assert.equal(r.status, 204, 'an overwrite');
  assert.equal((await dav('/pub/d.txt', { method: 'PUT', body: 'three', headers: { 'if-match': one } })).status, 412);
  assert.equal((await dav('/pub/d.txt', { method: 'DELETE', headers: { 'if-match': one } })).status, 412);
  assert.equal((await dav('/pub/d.txt', { method: 'PUT', body: 'x', headers: { 'if-match': 'W/"x"' } })).status, 400);
  assert.equal(await (await dav('/pub/d.txt')).text(), 'two');
  assert.equal((await dav('/pub/d.txt', { method: 'DELETE', headers: { 'if-match': r.headers.get('etag')! } })).status, 204);
  assert.equal((await dav('/pub/d.txt', { method: 'DELETE', headers: { 'if-match': '*' } })).status, 412);
});
