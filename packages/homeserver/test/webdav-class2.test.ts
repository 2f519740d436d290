import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { as, rawRequest, signup, startTestServer, type TestServer } from './helpers.ts';

// WebDAV class 2 on the operator's mount, beyond what litmus checks: empty collections and their
// marker, the file/collection collision, replacing COPY/MOVE, hostile XML, Destination and locks.
let hs: TestServer;
const BASIC = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
before(async () => {
  hs = await startTestServer({ storage: { default_quota_mb: 1 } });
});
after(() => hs.stop());

const dav = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(hs.adminUrl + path, { ...init, headers: { authorization: BASIC, ...(init.headers ?? {}) } });
const hrefs = (xml: string) => [...xml.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]!);

test('an empty collection exists: listed, lockable, deletable; its marker is an ordinary file elsewhere', async () => {
  const { kp, cookie } = await signup(hs);
  const z = kp.publicKey.z32;
  assert.equal((await dav(`/dav/${z}/pub/New%20folder`, { method: 'MKCOL' })).status, 201);
  // "New folder → rename", as file managers do it.
  assert.equal(
    (await dav(`/dav/${z}/pub/New%20folder/`, { method: 'MOVE', headers: { destination: `/dav/${z}/pub/photos/` } })).status,
    201,
  );
  let r = await dav(`/dav/${z}/pub/`, { method: 'PROPFIND', headers: { depth: '1' } });
  assert.deepEqual(hrefs(await r.text()), [`/dav/${z}/pub/`, `/dav/${z}/pub/photos/`]);
  r = await dav(`/dav/${z}/pub/photos/`, { method: 'PROPFIND', headers: { depth: '1' } });
  assert.deepEqual(hrefs(await r.text()), [`/dav/${z}/pub/photos/`], 'the marker is not listed');
  // To the client API the marker is a zero-byte file like any other (events, quota, export, mirrors).
  assert.equal(await (await hs.req('/pub/photos/', { headers: as(kp) })).text(), `pubky://${z}/pub/photos/.pubky-dir`);
  assert.ok((await (await hs.req('/events/?limit=1000')).text()).includes(`PUT pubky://${z}/pub/photos/.pubky-dir`));
  for (const method of ['PUT', 'GET', 'DELETE', 'MKCOL']) {
    assert.equal((await dav(`/dav/${z}/pub/photos/.pubky-dir`, { method, body: method === 'PUT' ? 'x' : undefined })).status, 403, method);
  }
  assert.equal((await dav(`/dav/${z}/pub/photos/a.txt`, { method: 'PUT', body: 'a' })).status, 201);
  assert.equal((await dav(`/dav/${z}/pub/photos`, { method: 'DELETE' })).status, 204);
  assert.equal((await hs.req('/pub/photos/', { headers: as(kp) })).status, 404, 'marker and file gone');
  assert.equal((await dav(`/dav/${z}/pub/photos/`, { method: 'PROPFIND', headers: { depth: '0' } })).status, 404);
  void cookie;
});

test('a file and a collection never share a name', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  assert.equal((await dav(`/dav/${z}/pub/file.txt`, { method: 'PUT', body: 'f' })).status, 201);
  assert.equal((await dav(`/dav/${z}/pub/file.txt/`, { method: 'MKCOL' })).status, 405, 'MKCOL over a file');
  assert.equal((await dav(`/dav/${z}/pub/file.txt/under`, { method: 'PUT', body: 'x' })).status, 409, 'PUT under a file');
  assert.equal((await dav(`/dav/${z}/pub/dir`, { method: 'MKCOL' })).status, 201);
  assert.equal((await dav(`/dav/${z}/pub/dir`, { method: 'PUT', body: 'x' })).status, 405, 'PUT over a collection');
  assert.equal((await dav(`/dav/${z}/pub/nowhere/x.txt`, { method: 'PUT', body: 'x' })).status, 409, 'no parent');
  assert.equal((await dav(`/dav/${z}/pub/nowhere/sub`, { method: 'MKCOL' })).status, 409);
});

test('COPY and MOVE onto an existing collection replace it (RFC 4918 §9.8.4, §9.9.3)', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  for (const d of ['src', 'dst']) assert.equal((await dav(`/dav/${z}/pub/${d}`, { method: 'MKCOL' })).status, 201);
  await dav(`/dav/${z}/pub/src/a.txt`, { method: 'PUT', body: 'a' });
  await dav(`/dav/${z}/pub/dst/old.txt`, { method: 'PUT', body: 'old' });
  assert.equal((await dav(`/dav/${z}/pub/src/`, { method: 'COPY', headers: { destination: `/dav/${z}/pub/dst/` } })).status, 204);
  let r = await dav(`/dav/${z}/pub/dst/`, { method: 'PROPFIND', headers: { depth: '1' } });
  assert.deepEqual(hrefs(await r.text()), [`/dav/${z}/pub/dst/`, `/dav/${z}/pub/dst/a.txt`], 'replaced, not merged or nested');
  await dav(`/dav/${z}/pub/dst/b.txt`, { method: 'PUT', body: 'b' });
  assert.equal((await dav(`/dav/${z}/pub/src`, { method: 'MOVE', headers: { destination: `/dav/${z}/pub/dst` } })).status, 204);
  r = await dav(`/dav/${z}/pub/dst/`, { method: 'PROPFIND', headers: { depth: '1' } });
  assert.deepEqual(hrefs(await r.text()), [`/dav/${z}/pub/dst/`, `/dav/${z}/pub/dst/a.txt`]);
  assert.equal((await dav(`/dav/${z}/pub/src/`, { method: 'PROPFIND', headers: { depth: '0' } })).status, 404);
  assert.equal(
    (await dav(`/dav/${z}/pub/dst/`, { method: 'COPY', headers: { destination: `/dav/${z}/pub/dst/inner/` } })).status,
    403,
    'into itself',
  );
});

test('hostile XML bodies get 400, never 404 or 207; Destination elsewhere, fragments and bad paths are refused', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  const other = (await signup(hs)).kp.publicKey.z32;
  await dav(`/dav/${z}/pub/p.txt`, { method: 'PUT', body: 'p' });
  const bodies = [
    '<D:propfind xmlns:D="DAV:"><D:prop>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><D:propfind xmlns:D="DAV:">&b;</D:propfind>',
    '<D:propfind xmlns:D="DAV:"><D:prop><x:y/></D:prop></D:propfind>',
    '<propfind xmlns="urn:not-dav"><allprop/></propfind>',
    'not xml at all',
    '\u0000\u0001\u0002',
    '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope></D:lockinfo>',
  ];
  for (const path of [`/dav/${z}/pub/p.txt`, `/dav/${z}/pub/missing.txt`, `/dav/${z}/pub/`]) {
    for (const method of ['PROPFIND', 'PROPPATCH', 'LOCK']) {
      for (const body of bodies) {
        if (method === 'PROPFIND' && body.includes('lockinfo')) continue;
        const res = await dav(path, { method, body, headers: { depth: '0' } });
        assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body.slice(0, 40))} → ${res.status}`);
      }
    }
  }
  const refused = async (destination: string) => (await dav(`/dav/${z}/pub/p.txt`, { method: 'COPY', headers: { destination } })).status;
  assert.equal(await refused('http://elsewhere.example/dav/x/pub/p2.txt'), 403, 'another host');
  assert.equal(await refused(`/dav/${other}/pub/p2.txt`), 403, "another user's tree");
  assert.equal(await refused(`/dav/${z}/etc/p2.txt`), 403, 'outside the storage roots');
  assert.equal(await refused(`/dav/${z}/pub/..%2F..%2Fetc`), 400);
  for (const path of [`/dav/${z}/pub/a%2Fb`, `/dav/${z}/pub/%00`, `/dav/${z}/pub/../../etc/passwd`, `/dav/${z}/pub/p.txt#frag`]) {
    const res = await rawRequest(hs.adminUrl!, 'DELETE', path, { authorization: BASIC });
    assert.equal(res.status, 400, `${path} → ${res.status}`);
  }
  assert.equal((await dav(`/dav/${z}/pub/p.txt`)).status, 200, 'nothing was deleted');
  for (const depth of ['infinity', 'Infinity']) {
    assert.equal((await dav(`/dav/${z}/pub/`, { method: 'PROPFIND', headers: { depth } })).status, 403);
  }
});

test('locks: an exclusive lock keeps writers without its token out; tokens are checked, timeouts capped', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  const lockinfo = (scope: string) =>
    `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>me</D:owner></D:lockinfo>`;
  const r = await dav(`/dav/${z}/pub/l.txt`, { method: 'LOCK', body: lockinfo('exclusive'), headers: { timeout: 'Second-999999' } });
  assert.equal(r.status, 201, 'an unmapped URL: locked and created empty');
  const token = /<(opaquelocktoken:[^>]+)>/.exec(r.headers.get('lock-token') ?? '')![1]!;
  assert.match(await r.text(), /<D:timeout>Second-3600<\/D:timeout>/, 'capped at an hour');
  assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'PUT', body: 'x' })).status, 423);
  assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'DELETE' })).status, 423);
  assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'LOCK', body: lockinfo('shared') })).status, 423);
  assert.equal(
    (
      await dav(`/dav/${z}/pub/l.txt`, {
        method: 'PUT',
        body: 'x',
        headers: { if: '(<opaquelocktoken:00000000-0000-0000-0000-000000000000>)' },
      })
    ).status,
    412,
  );
  assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'PUT', body: 'x', headers: { if: `(<${token}>)` } })).status, 204);
  for (const bad of ['(', '(<x>', '[x]', '(Not)', 'garbage', '<http://x/> ']) {
    assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'PUT', body: 'y', headers: { if: bad } })).status, 400, bad);
  }
  assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'UNLOCK', headers: { 'lock-token': '<opaquelocktoken:nope>' } })).status, 409);
  assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'UNLOCK', headers: { 'lock-token': `<${token}>` } })).status, 204);
  assert.equal((await dav(`/dav/${z}/pub/l.txt`, { method: 'PUT', body: 'free' })).status, 204);
});

test('quota holds on every way in: PUT, COPY, MKCOL and LOCK', async () => {
  const { kp } = await signup(hs);
  const z = kp.publicKey.z32;
  assert.equal((await dav(`/dav/${z}/pub/big.bin`, { method: 'PUT', body: new Uint8Array(700_000) })).status, 201);
  assert.equal((await dav(`/dav/${z}/pub/big.bin`, { method: 'COPY', headers: { destination: `/dav/${z}/pub/big2.bin` } })).status, 507);
  assert.equal((await dav(`/dav/${z}/pub/big2.bin`)).status, 404);
  assert.equal((await dav(`/dav/${z}/pub/fill.bin`, { method: 'PUT', body: new Uint8Array(1_048_576 - 700_000 - 600) })).status, 201);
  assert.equal((await dav(`/dav/${z}/pub/d`, { method: 'MKCOL' })).status, 507, 'a marker costs 256 bytes too');
  const lock =
    '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
  assert.equal((await dav(`/dav/${z}/pub/new.txt`, { method: 'LOCK', body: lock })).status, 507);
  assert.equal((await dav(`/dav/${z}/pub/new.txt`, { method: 'PUT', body: 'x' })).status, 507, 'and no lock was left behind: 507, not 423');
});
