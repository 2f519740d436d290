import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair } from '@pubky-ts/common';
import { chunks } from './storage-helpers.ts';
import { as, rawRequest, signup, startTestServer, type TestServer } from './helpers.ts';

// WebDAV on the admin port (spec §5.1 `/dav/{…}`), over real HTTP.
let hs: TestServer;
const BASIC = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
before(async () => {
  hs = await startTestServer({ storage: { default_quota_mb: 1 } });
});
after(() => hs.stop());

const dav = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(hs.adminUrl + path, { ...init, headers: { authorization: BASIC, ...(init.headers ?? {}) } });

function hrefs(xml: string): string[] {
  return [...xml.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]!);
}

test('Basic auth as admin is required; the client API password header does not open /dav', async () => {
  const none = await fetch(`${hs.adminUrl}/dav/`, { method: 'PROPFIND' });
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  for (const auth of [
    `Basic ${Buffer.from('admin:wrong').toString('base64')}`,
    `Basic ${Buffer.from('root:admin').toString('base64')}`,
    'Basic !!!',
    'Bearer x',
  ]) {
    assert.equal((await fetch(`${hs.adminUrl}/dav/`, { method: 'PROPFIND', headers: { authorization: auth } })).status, 401, auth);
  }
  assert.equal((await fetch(`${hs.adminUrl}/dav/`, { method: 'PROPFIND', headers: { 'x-admin-password': 'admin' } })).status, 401);
  const options = await dav('/dav/', { method: 'OPTIONS' });
  assert.equal(options.status, 200);
  assert.equal(options.headers.get('dav'), '1, 2');
  // Windows probes the server root before it sends credentials.
  const root = await fetch(`${hs.adminUrl}/`, { method: 'OPTIONS' });
  assert.equal(root.status, 200);
  assert.equal(root.headers.get('dav'), '1, 2');
  assert.equal(root.headers.get('ms-author-via'), 'DAV');
  assert.match(options.headers.get('allow') ?? '', /PROPFIND/);
});

test('browse, upload, overwrite, read, copy, move and delete a user’s files; every write is an entry and an event', async () => {
  const { kp, cookie } = await signup(hs);
  const z = kp.publicKey.z32;
  assert.equal((await hs.req('/priv/secret.txt', { method: 'PUT', body: 'private', headers: as(kp, cookie) })).status, 201);

  let r = await dav(`/dav/${z}/pub/docs/a%20b.txt`, { method: 'PUT', body: 'hello dav' });
  assert.equal(r.status, 409, 'no parent collection (RFC 4918 §9.7.1)');
  assert.equal((await dav(`/dav/${z}/pub/docs`, { method: 'MKCOL' })).status, 201);
  r = await dav(`/dav/${z}/pub/docs/a%20b.txt`, { method: 'PUT', body: 'hello dav', headers: { 'content-type': 'text/plain' } });
  assert.equal(r.status, 201);
  r = await dav(`/dav/${z}/pub/docs/a%20b.txt`, { method: 'PUT', body: 'hello again' });
  assert.equal(r.status, 204, 'an overwrite');
  assert.equal(await (await hs.req('/pub/docs/a b.txt', { headers: as(kp) })).text(), 'hello again', 'the client API sees the admin write');

  r = await dav(`/dav/${z}/`, { method: 'PROPFIND', headers: { depth: '1' } });
  assert.equal(r.status, 207);
  assert.deepEqual(hrefs(await r.text()), [`/dav/${z}/`, `/dav/${z}/pub/`, `/dav/${z}/priv/`]);
  r = await dav(`/dav/${z}/pub`, { method: 'PROPFIND', headers: { depth: '1' } });
  const pubXml = await r.text();
  assert.deepEqual(hrefs(pubXml), [`/dav/${z}/pub/`, `/dav/${z}/pub/docs/`]);
  r = await dav(`/dav/${z}/pub/docs`, { method: 'PROPFIND', headers: { depth: '1' } });
  const docs = await r.text();
  assert.deepEqual(hrefs(docs), [`/dav/${z}/pub/docs/`, `/dav/${z}/pub/docs/a%20b.txt`]);
  assert.match(docs, /<D:getcontentlength>11<\/D:getcontentlength>/);
  assert.match(docs, /<D:getetag>&quot;[A-Za-z0-9+/=]+&quot;<\/D:getetag>/);
  r = await dav(`/dav/${z}/pub/docs/a%20b.txt`, { method: 'PROPFIND', headers: { depth: '0' } });
  assert.deepEqual(hrefs(await r.text()), [`/dav/${z}/pub/docs/a%20b.txt`]);
  // The admin sees private files too.
  r = await dav(`/dav/${z}/priv/secret.txt`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'private');

  assert.equal(
    (await dav(`/dav/${z}/pub/docs/a%20b.txt`, { method: 'COPY', headers: { destination: `${hs.adminUrl}/dav/${z}/pub/copy.txt` } }))
      .status,
    201,
  );
  assert.equal(
    (await dav(`/dav/${z}/pub/docs/a%20b.txt`, { method: 'COPY', headers: { destination: `/dav/${z}/pub/copy.txt`, overwrite: 'F' } }))
      .status,
    412,
  );
  assert.equal((await dav(`/dav/${z}/pub/docs`, { method: 'MOVE', headers: { destination: `/dav/${z}/pub/moved/` } })).status, 201);
  assert.equal((await hs.req('/pub/docs/a b.txt', { headers: as(kp) })).status, 404);
  assert.equal(await (await hs.req('/pub/moved/a b.txt', { headers: as(kp) })).text(), 'hello again');
  assert.equal(await (await hs.req('/pub/copy.txt', { headers: as(kp) })).text(), 'hello again');

  assert.equal((await dav(`/dav/${z}/pub/new-dir`, { method: 'MKCOL' })).status, 201);
  assert.equal((await dav(`/dav/${z}/pub/copy.txt`, { method: 'MKCOL' })).status, 405);
  assert.equal((await dav(`/dav/${z}/pub/moved/`, { method: 'DELETE' })).status, 204, 'a directory, recursively');
  assert.equal((await dav(`/dav/${z}/pub/moved/`, { method: 'DELETE' })).status, 404);
  assert.equal((await hs.req('/pub/moved/a b.txt', { headers: as(kp) })).status, 404);

  const feed = await (await hs.req('/events/?limit=1000')).text();
  for (const line of [
    `PUT pubky://${z}/pub/docs/a b.txt`,
    `PUT pubky://${z}/pub/moved/a b.txt`,
    `DEL pubky://${z}/pub/docs/a b.txt`,
    `DEL pubky://${z}/pub/moved/a b.txt`,
  ]) {
    assert.ok(feed.includes(line), line);
  }
});

test('admin writes bypass collisions and allowed paths but not the quota; bad paths, keys and methods get 4xx', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  assert.equal((await dav(`/dav/${z}/pub/big.bin`, { method: 'PUT', body: new Uint8Array(2 * 1024 * 1024) })).status, 507);
  assert.equal((await dav(`/dav/${z}/pub/big.bin`)).status, 404, 'nothing stored');
  assert.equal((await dav(`/dav/${z}/etc/passwd`, { method: 'PUT', body: 'x' })).status, 403);
  assert.equal((await dav(`/dav/${Keypair.random().publicKey.z32}/pub/x`, { method: 'PUT', body: 'x' })).status, 404);
  for (const path of [
    '/dav/not-a-key/pub/x',
    '/dav/%ff/pub/x',
    `/dav/${z}/pub/%00`,
    `/dav/${z}/pub/${'a'.repeat(300)}`,
    `/dav/${z}/pub/..%2F..%2F..%2Fx`,
    `/dav/${z}/pub/..%2F..%2Fetc`,
  ]) {
    const res = await dav(path, { method: 'PUT', body: 'x' });
    assert.equal(res.status, 400, `${path}: ${res.status}`);
  }
  assert.equal((await dav(`/dav/${z}/pub/x`, { method: 'LOCK' })).status, 412, 'a LOCK without a body refreshes; nothing to refresh');
  assert.equal((await dav(`/dav/${z}/pub/`, { method: 'GET' })).status, 405);
  assert.equal((await dav(`/dav/${z}/pub/x`, { method: 'COPY' })).status, 400, 'no Destination');
  assert.equal((await dav(`/dav/${z}/pub/x`, { method: 'COPY', headers: { destination: 'http://elsewhere.example/x' } })).status, 403);
  assert.equal((await dav(`/dav/${z}/`, { method: 'DELETE' })).status, 403);
});

test('/dav/ lists the users; a copy or move onto itself, conditional writes and Depth: infinity are refused precisely', async () => {
  const a = await signup(hs);
  const b = await signup(hs);
  const za = a.kp.publicKey.z32;
  let r = await dav('/dav/', { method: 'PROPFIND', headers: { depth: '1' } });
  assert.equal(r.status, 207);
  const listed = hrefs(await r.text());
  assert.equal(listed[0], '/dav/');
  for (const z of [za, b.kp.publicKey.z32]) assert.ok(listed.includes(`/dav/${z}/`), z);
  const users = listed.slice(1);
  assert.deepEqual(users, [...users].sort(), 'in key order');
  r = await dav('/dav/', { method: 'PROPFIND', headers: { depth: '0' } });
  assert.deepEqual(hrefs(await r.text()), ['/dav/']);

  assert.equal((await dav(`/dav/${za}/pub/self.txt`, { method: 'PUT', body: 'keep me' })).status, 201);
  for (const [method, destination] of [
    ['MOVE', `/dav/${za}/pub/self.txt`],
    ['COPY', `${hs.adminUrl}/dav/${za}/pub/self.txt`],
    ['MOVE', `/dav/${za}/pub/%73elf.txt`],
    ['MOVE', `/dav/${za}/pub/self.txt/`],
  ] as const) {
    r = await dav(`/dav/${za}/pub/self.txt`, { method, headers: { destination } });
    assert.equal(r.status, 403, `${method} → ${destination}`);
    assert.match(await r.text(), /same/);
  }
  assert.equal((await dav(`/dav/${za}/pub/`, { method: 'MOVE', headers: { destination: `/dav/${za}/pub` } })).status, 403);
  assert.equal(await (await dav(`/dav/${za}/pub/self.txt`)).text(), 'keep me', 'still there');

  // If-Match / If-None-Match on PUT and DELETE are honoured (test/conditional-writes.test.ts), and so is
  // RFC 4918's If (a list naming no lock of ours fails); If-Unmodified-Since is refused, not ignored.
  for (const [header, value, status] of [
    ['if', '(<urn:x>)', 412],
    ['If-Unmodified-Since', 'Sat, 01 Jan 2000 00:00:00 GMT', 501],
  ] as const) {
    r = await dav(`/dav/${za}/pub/self.txt`, { method: 'PUT', body: 'changed', headers: { [header]: value } });
    assert.equal(r.status, status, header);
    assert.match(await r.text(), status === 412 ? /If header/ : new RegExp(header));
    assert.equal((await dav(`/dav/${za}/pub/self.txt`, { method: 'DELETE', headers: { [header]: value } })).status, status, header);
  }
  assert.equal(await (await dav(`/dav/${za}/pub/self.txt`)).text(), 'keep me', 'no conditional write happened');
  assert.equal(
    (await dav(`/dav/${za}/pub/self.txt`, { method: 'PROPFIND', headers: { depth: '0', 'if-match': '"x"' } })).status,
    207,
    'reads ignore them',
  );

  for (const path of ['/dav/', `/dav/${za}/`, `/dav/${za}/pub/`]) {
    r = await dav(path, { method: 'PROPFIND', headers: { depth: 'infinity' } });
    assert.equal(r.status, 403, path);
    assert.match(await r.text(), /<D:propfind-finite-depth\/>/);
  }
  r = await dav(`/dav/${za}/pub/self.txt`, { method: 'PROPFIND', headers: { depth: 'Infinity' } });
  assert.equal(r.status, 207, 'a file has no depth');
  assert.deepEqual(hrefs(await r.text()), [`/dav/${za}/pub/self.txt`]);
});

test('a PROPFIND of a directory with more than 10,000 entries is refused with 507, not cut short', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  await hs.store.users.setQuota(z, { storageQuotaMb: 10 });
  for (let i = 0; i < 10_001; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, 10_001 - i) }, (_, k) =>
      hs.store.files.put(z, `/pub/many/f${i + k}`, chunks('x'), { admin: true }),
    );
    await Promise.all(batch);
  }
  const r = await dav(`/dav/${z}/pub/many/`, { method: 'PROPFIND', headers: { depth: '1' } });
  assert.equal(r.status, 507);
  assert.match(await r.text(), /More than 10000 entries/);
  assert.equal((await dav(`/dav/${z}/pub/many/`, { method: 'PROPFIND', headers: { depth: '0' } })).status, 207);
  await hs.store.files.delete(z, '/pub/many/f0', { admin: true });
  const all = await dav(`/dav/${z}/pub/many/`, { method: 'PROPFIND', headers: { depth: '1' } });
  assert.equal(all.status, 207, 'exactly 10,000 are listed');
  assert.equal(hrefs(await all.text()).length, 10_001, 'the directory and its 10,000 files');
});

test('hostile methods, paths, headers and bodies on /dav: never a 5xx, errors in plain text, the server keeps serving', async () => {
  const { kp, cookie } = await signup(hs);
  const z = kp.publicKey.z32;
  await hs.req('/pub/h/file.txt', { method: 'PUT', body: 'x', headers: as(kp, cookie) });
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const segments = [
    'pub',
    'priv',
    'h',
    'file.txt',
    '..',
    '%2e%2e',
    '%00',
    '%ff',
    '%2F',
    'a'.repeat(300),
    '<script>',
    '%C3%BC',
    '',
    '.',
    '*',
    '%25',
  ];
  const methods = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK'];
  for (let i = 0; i < 300; i++) {
    const parts = Array.from({ length: rnd(5) }, () => pick(segments));
    const path = `/dav/${pick([z, 'junk', '', z.toUpperCase()])}/${parts.join('/')}${rnd(2) ? '/' : ''}`;
    const method = pick(methods);
    const headers: Record<string, string> = { authorization: BASIC };
    if (rnd(2)) headers.depth = pick(['0', '1', 'infinity', 'x']);
    if (rnd(2))
      headers.destination = pick([
        `/dav/${z}/pub/dst/${rnd(100)}`,
        `/dav/${z}/`,
        'http://evil.example/dav/x',
        '%%%',
        `/dav/junk/x`,
        `/dav/${z}/pub/h`,
      ]);
    if (rnd(3) === 0) headers.overwrite = pick(['T', 'F', 'maybe']);
    if (rnd(8) === 0)
      headers[pick(['if', 'if-match', 'if-none-match', 'if-unmodified-since'])] = pick(['*', '"x"', '(<urn:x>)', 'garbage']);
    const body =
      method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
        ? undefined
        : pick([undefined, '', '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>', randomBytesText(rnd(300))]);
    const res = await rawRequest(hs.adminUrl!, method, path, headers, body);
    // 501 is the one deliberate 5xx: a conditional write this server cannot honour.
    const conditional =
      ['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH', 'LOCK', 'UNLOCK'].includes(method) &&
      ['if', 'if-match', 'if-none-match', 'if-unmodified-since'].some((h) => h in headers);
    assert.ok(
      res.status < 500 || (conditional && res.status === 501),
      `${method} ${path} ${JSON.stringify(headers)} → ${res.status} ${res.body.toString().slice(0, 200)}`,
    );
    if (res.status >= 400 && method !== 'HEAD') {
      // Errors are plain text, except RFC 4918's precondition body for PROPFIND with Depth: infinity
      // on a collection (a 403 for another reason, such as a path outside the storage roots, stays plain).
      const type = String(res.headers['content-type']);
      const finiteDepth = method === 'PROPFIND' && headers.depth === 'infinity' && res.status === 403 && /^application\/xml/.test(type);
      if (finiteDepth) assert.match(res.body.toString(), /propfind-finite-depth/, `${method} ${path} → ${res.status}`);
      else assert.match(type, /^text\/plain/, `${method} ${path} → ${res.status}`);
    }
  }
  const still = await dav(`/dav/${z}/`, { method: 'PROPFIND', headers: { depth: '0' } });
  assert.equal(still.status, 207);
});

function randomBytesText(n: number): string {
  return Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * 256))).toString('latin1');
}
