// Mirrors on real homeservers (mirror contract, issue 6): a testnet's homeserver is the primary, an
// extra homeserver mirrors users of it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { createGrant, Pubky, type Session } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { cookieSession, mirrorCall, PrimaryProxy, waitForMirror } from './mirror-helpers.ts';

const ADMIN = { 'x-admin-password': 'admin' };

let testnet: Testnet;
let mirror: ExtraHomeserver;
let mirrorDir: string;
const mirrorKey = Keypair.random();
let pubky: Pubky;
const cleanups: Array<() => Promise<void> | void> = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function mirrorGrant(user: Keypair, overrides: Partial<Parameters<typeof createGrant>[1]> = {}): string {
  return createGrant(user, { clientId: 'pubky-mirror', clientKey: mirrorKey.publicKey, capabilities: '/:r', ...overrides });
}

/** A user on `primaryKey` (SDK session) with a root cookie session on the mirror. */
async function newUser(primaryKey: Keypair['publicKey']): Promise<{ kp: Keypair; z32: string; session: Session; cookie: string }> {
  const kp = Keypair.random();
  const session = await pubky.signer(kp).signup(primaryKey, null);
  const cookie = await cookieSession(mirror.url, kp);
  return { kp, z32: kp.publicKey.z32, session, cookie };
}

async function mirrorGet(user: string, path: string, cookie?: string): Promise<Response> {
  return fetch(`${mirror.url}${path}`, { headers: { 'pubky-host': user, ...(cookie ? { cookie } : {}) } });
}

before(async () => {
  testnet = await startTestnet({ signupMode: 'open' });
  mirrorDir = mkdtempSync(join(tmpdir(), 'pubky-mirror-'));
  mirror = await startExtraHomeserver(testnet, { keypair: mirrorKey, dataDir: mirrorDir });
  pubky = new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await mirror?.close();
  await testnet?.close();
  rmSync(mirrorDir, { recursive: true, force: true });
});

describe('PUT /mirror validation', () => {
  test('every refusal has its status and message', async () => {
    const primary = testnet.homeserver.publicKey;
    const u = await newUser(primary);
    const body = (o: unknown) => JSON.stringify(o);
    const expect = async (call: Promise<{ status: number; text: string }>, status: number, text: RegExp) => {
      const r = await call;
      assert.equal(r.status, status, r.text);
      assert.match(r.text, text);
    };
    const good = { primary: primary.z32, grant: mirrorGrant(u.kp) };
    await expect(mirrorCall(mirror.url, 'PUT', null, null, body(good)), 400, /Missing request tenant/);
    await expect(mirrorCall(mirror.url, 'PUT', u.z32, null, body(good)), 401, /No authenticated session/);
    const scoped = Keypair.random();
    const scopedCookie = await cookieSession(mirror.url, scoped, '/pub/app/:rw');
    await expect(
      mirrorCall(mirror.url, 'PUT', scoped.publicKey.z32, scopedCookie, body(good)),
      403,
      /^Managing a mirror needs root capabilities$/,
    );
    await expect(mirrorCall(mirror.url, 'PUT', scoped.publicKey.z32, u.cookie, body(good)), 401, /No authenticated session/);
    await expect(mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, '{"primary":'), 400, /Failed to parse the request body as JSON/);
    await expect(mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, '[1]'), 400, /JSON object/);
    await expect(mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, body({ grant: good.grant })), 400, /Invalid field `primary`: missing/);
    await expect(mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, body({ primary: 7 })), 400, /Invalid field `primary`: expected a string/);
    await expect(
      mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, body({ primary: 'not-a-key' })),
      400,
      /Invalid field `primary`: not a public key/,
    );
    await expect(
      mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, body({ primary: primary.z32, grant: 5 })),
      400,
      /Invalid field `grant`: expected a string/,
    );
    await expect(
      mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, body({ primary: mirrorKey.publicKey.z32 })),
      400,
      /^The primary cannot be this homeserver$/,
    );
    const other = Keypair.random();
    const cases: Array<[string, RegExp]> = [
      ['not a jws', /^Invalid grant: invalid grant format$/],
      [mirrorGrant(other), /^Invalid grant: not signed by this user/],
      [mirrorGrant(u.kp, { issuedAt: 1_000_000, lifetimeSeconds: 60 }), /^Invalid grant: grant has expired$/],
      [mirrorGrant(u.kp, { clientKey: other.publicKey }), /^Invalid grant: not issued to this homeserver's key/],
      [mirrorGrant(u.kp, { clientId: 'someapp' }), /^Invalid grant: client_id must be pubky-mirror$/],
      [mirrorGrant(u.kp, { capabilities: '/pub/:r' }), /^Invalid grant: capabilities must allow reading \/pub\/ and \/priv\//],
    ];
    const g = mirrorGrant(u.kp);
    const [h, p, s] = g.split('.');
    cases.push([`${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`, /^Invalid grant: invalid grant signature$/]);
    for (const [grant, text] of cases) {
      await expect(mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, body({ primary: primary.z32, grant })), 400, text);
    }
    // Unresolvable primary, and a primary that does not know the user (refuses the grant): 502.
    await expect(
      mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, body({ primary: Keypair.random().publicKey.z32 })),
      502,
      /Cannot mirror from .*cannot resolve the primary/,
    );
    const stranger = Keypair.random();
    const strangerCookie = await cookieSession(mirror.url, stranger);
    await expect(
      mirrorCall(mirror.url, 'PUT', stranger.publicKey.z32, strangerCookie, body({ primary: primary.z32, grant: mirrorGrant(stranger) })),
      502,
      /Cannot mirror from .*the primary refused the grant: 404/,
    );
    await expect(
      mirrorCall(mirror.url, 'PUT', stranger.publicKey.z32, strangerCookie, body({ primary: primary.z32 })),
      502,
      /answered 404 to the event stream/,
    );
    // Nothing was saved by any of these.
    await expect(mirrorCall(mirror.url, 'GET', u.z32, u.cookie), 404, /^This user is not mirrored here$/);
    await expect(mirrorCall(mirror.url, 'DELETE', u.z32, u.cookie), 404, /^This user is not mirrored here$/);
    await expect(mirrorCall(mirror.url, 'GET', u.z32, null), 401, /No authenticated session/);
  });
});

describe('following the primary', () => {
  test('public and private files are copied byte for byte with their types; overwrite and delete propagate; admin shows lag', async () => {
    const primary = testnet.homeserver.publicKey;
    const u = await newUser(primary);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const big = new Uint8Array(300 * 1024).map((_, i) => (i * 31) & 0xff);
    const files: Record<string, Uint8Array> = {
      '/pub/app/hello.txt': new TextEncoder().encode('hello mirror'),
      '/pub/app/data.json': new TextEncoder().encode('{"a":1}'),
      '/pub/app/image.png': png,
      '/pub/app/big.bin': big,
      '/pub/app/ünïcode dir/file %.txt': new TextEncoder().encode('odd path'),
      '/priv/secret/notes.txt': new TextEncoder().encode('private notes'),
      '/priv/secret/pic.png': png,
    };
    for (const [path, bytes] of Object.entries(files)) await u.session.storage.putBytes(path, bytes);

    const put = await mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, JSON.stringify({ primary: primary.z32, grant: mirrorGrant(u.kp) }));
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json?.user, u.z32);
    assert.equal(put.json?.primary, primary.z32);
    assert.equal(put.json?.private, true);

    const n = Object.keys(files).length;
    const st = await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.appliedEvents >= n && s.pendingEvents === 0 && s.state === 'live');
    assert.equal(st.lastError, null);
    assert.match(st.cursor, /^\d+$/);
    assert.ok(st.lastAppliedAt && !Number.isNaN(Date.parse(st.lastAppliedAt)));

    for (const [path, bytes] of Object.entries(files)) {
      const enc = path.split('/').map(encodeURIComponent).join('/');
      const fromPrimary = await fetch(`${testnet.homeserver.url}${enc}`, { headers: { 'pubky-host': u.z32, cookie: '' } });
      const onMirror = await mirrorGet(u.z32, enc, u.cookie);
      assert.equal(onMirror.status, 200, path);
      assert.deepEqual(new Uint8Array(await onMirror.arrayBuffer()), bytes, path);
      if (path.startsWith('/pub/')) {
        assert.equal(fromPrimary.status, 200);
        assert.equal(onMirror.headers.get('content-type'), fromPrimary.headers.get('content-type'), path);
        assert.equal(onMirror.headers.get('etag'), fromPrimary.headers.get('etag'), path);
      }
      await fromPrimary.body?.cancel();
    }
    assert.equal((await mirrorGet(u.z32, '/pub/app/image.png')).headers.get('content-type'), 'image/png');
    assert.equal((await mirrorGet(u.z32, '/priv/secret/notes.txt')).status, 401, 'private files stay private on the mirror');

    // Overwrite and delete.
    await u.session.storage.putText('/pub/app/hello.txt', 'hello again');
    await u.session.storage.delete('/pub/app/data.json');
    await u.session.storage.delete('/priv/secret/notes.txt');
    await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.appliedEvents >= n + 3 && s.pendingEvents === 0);
    assert.equal(await (await mirrorGet(u.z32, '/pub/app/hello.txt')).text(), 'hello again');
    assert.equal((await mirrorGet(u.z32, '/pub/app/data.json')).status, 404);
    assert.equal((await mirrorGet(u.z32, '/priv/secret/notes.txt', u.cookie)).status, 404);

    // Admin view.
    const res = await fetch(`${mirror.adminUrl}/mirrors`, { headers: ADMIN });
    assert.equal(res.status, 200);
    const { items } = (await res.json()) as { items: Array<Record<string, unknown>> };
    const mine = items.find((i) => i.user === u.z32);
    assert.ok(mine, 'the user is listed');
    assert.equal(mine.primary, primary.z32);
    assert.equal(typeof mine.lagMs, 'number');
    assert.equal(mine.pendingEvents, 0);
    assert.equal(mine.lagMs, 0);
    assert.equal(mine.state, 'live');
    assert.equal((await fetch(`${mirror.adminUrl}/mirrors`)).status, 401);

    // DELETE stops following; the copy stays.
    const del = await mirrorCall(mirror.url, 'DELETE', u.z32, u.cookie);
    assert.equal(del.status, 204);
    await u.session.storage.putText('/pub/app/after.txt', 'not mirrored');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await mirrorGet(u.z32, '/pub/app/after.txt')).status, 404);
    assert.equal((await mirrorGet(u.z32, '/pub/app/hello.txt')).status, 200);
    assert.equal((await mirrorCall(mirror.url, 'GET', u.z32, u.cookie)).status, 404);
  });

  test('without a grant only /pub/ is mirrored', async () => {
    const primary = testnet.homeserver.publicKey;
    const u = await newUser(primary);
    await u.session.storage.putText('/pub/a.txt', 'public');
    await u.session.storage.putText('/priv/b.txt', 'private');
    await u.session.storage.putText('/pub/c.txt', 'public too');
    const put = await mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, JSON.stringify({ primary: primary.z32 }));
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json?.private, false);
    await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.appliedEvents >= 2 && s.state === 'live');
    assert.equal(await (await mirrorGet(u.z32, '/pub/c.txt')).text(), 'public too');
    assert.equal((await mirrorGet(u.z32, '/priv/b.txt', u.cookie)).status, 404);
  });
});

describe('limits of the mirror', () => {
  test("a file larger than the mirror's drive.max_file_bytes is not copied, and the status says why", async () => {
    const smallKey = Keypair.random();
    const small = await startExtraHomeserver(testnet, { keypair: smallKey, config: { drive: { max_file_bytes: 1000 } } });
    cleanups.push(() => small.close());
    const primary = testnet.homeserver.publicKey;
    const kp = Keypair.random();
    const session = await pubky.signer(kp).signup(primary, null);
    const cookie = await cookieSession(small.url, kp);
    await session.storage.putText('/pub/small.txt', 'fits');
    await session.storage.put('/pub/big.bin', new Uint8Array(5000));
    const put = await mirrorCall(small.url, 'PUT', kp.publicKey.z32, cookie, JSON.stringify({ primary: primary.z32 }));
    assert.equal(put.status, 200, put.text);
    const st = await waitForMirror(small.url, kp.publicKey.z32, cookie, (s) => s.lastError !== null && s.appliedEvents >= 1);
    assert.match(st.lastError!, /big\.bin is larger than this homeserver's drive\.max_file_bytes \(1000 bytes\)/);
    assert.equal(st.state, 'retrying');
    const get = (path: string) => fetch(`${small.url}${path}`, { headers: { 'pubky-host': kp.publicKey.z32 } });
    assert.equal(await (await get('/pub/small.txt')).text(), 'fits');
    assert.equal((await get('/pub/big.bin')).status, 404);
  });
});

describe('restarts, outages and a hostile primary', () => {
  test('a restarted mirror resumes from its cursor without fetching again; bytes that do not match the hash are not stored', async () => {
    const primaryKey = Keypair.random();
    // The primary is reached only through a proxy: it publishes the proxy's port itself, so no
    // second packet competes with its own on the DHT.
    const proxy = await new PrimaryProxy('http://127.0.0.1:1').start();
    cleanups.push(() => proxy.close());
    const primary = await startExtraHomeserver(testnet, { keypair: primaryKey, config: { pkdns: { public_icann_http_port: proxy.port } } });
    cleanups.push(() => primary.close());
    proxy.target = primary.url;

    const u = await newUser(primaryKey.publicKey);
    for (let i = 0; i < 10; i++) await u.session.storage.putText(`/pub/r/${i}.txt`, `file ${i}`);
    await u.session.storage.putText('/priv/r/p.txt', 'private');
    const put = await mirrorCall(
      mirror.url,
      'PUT',
      u.z32,
      u.cookie,
      JSON.stringify({ primary: primaryKey.publicKey.z32, grant: mirrorGrant(u.kp) }),
    );
    assert.equal(put.status, 200, put.text);
    const first = await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.appliedEvents >= 11 && s.state === 'live');
    assert.equal(proxy.fileGets().length, 11);

    // Restart the mirror (same key, same data) while the primary takes more writes.
    await mirror.close();
    for (let i = 10; i < 15; i++) await u.session.storage.putText(`/pub/r/${i}.txt`, `file ${i}`);
    await u.session.storage.putText('/pub/r/0.txt', 'file 0, again');
    const streamsBefore = proxy.log.requests.filter((r) => r.includes('/events-stream') && r.includes('live=true')).length;
    mirror = await startExtraHomeserver(testnet, { keypair: mirrorKey, dataDir: mirrorDir });
    const resumed = await waitForMirror(
      mirror.url,
      u.z32,
      u.cookie,
      (s) => s.appliedEvents >= 17 && s.state === 'live' && s.pendingEvents === 0,
    );
    assert.equal(resumed.appliedEvents, 17);
    assert.equal(proxy.fileGets().length, 17, 'only the 6 new writes were fetched after the restart');
    const resumedStreams = proxy.log.requests.filter((r) => r.includes('/events-stream') && r.includes('live=true')).slice(streamsBefore);
    assert.ok(resumedStreams.length >= 1);
    assert.ok(resumedStreams[0].includes(`user=${u.z32}%3A${first.cursor}&`), `resumed from cursor ${first.cursor}: ${resumedStreams[0]}`);
    assert.equal(await (await mirrorGet(u.z32, '/pub/r/0.txt')).text(), 'file 0, again');
    assert.equal(await (await mirrorGet(u.z32, '/pub/r/14.txt')).text(), 'file 14');

    // A primary serving bytes that do not hash to its own event (and ETag) is not believed.
    proxy.flip = true;
    await u.session.storage.putText('/pub/r/evil.txt', 'the real content');
    const refused = await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.lastError !== null);
    assert.match(refused.lastError!, /do not match its hash/);
    assert.equal(refused.appliedEvents, 17);
    assert.equal((await mirrorGet(u.z32, '/pub/r/evil.txt')).status, 404, 'nothing stored');
    const admin = (await (await fetch(`${mirror.adminUrl}/mirrors`, { headers: ADMIN })).json()) as {
      items: Array<{ user: string; lastError: string | null; pendingEvents: number }>;
    };
    assert.match(admin.items.find((i) => i.user === u.z32)!.lastError ?? '', /do not match its hash/);
    // Once the primary serves the right bytes again, the event is applied.
    proxy.flip = false;
    const healed = await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.appliedEvents >= 18 && s.lastError === null);
    assert.equal(healed.state, 'live');
    assert.equal(await (await mirrorGet(u.z32, '/pub/r/evil.txt')).text(), 'the real content');
  });

  test('a primary that goes down is retried with backoff and caught up with when it is back', async () => {
    const primaryKey = Keypair.random();
    const dir = mkdtempSync(join(tmpdir(), 'pubky-primary-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const opts = { keypair: primaryKey, dataDir: dir, config: { drive: { icann_listen_socket: `127.0.0.1:${port}` } } };
    let primary = await startExtraHomeserver(testnet, opts);
    cleanups.push(() => primary.close());
    const u = await newUser(primaryKey.publicKey);
    for (let i = 0; i < 3; i++) await u.session.storage.putText(`/pub/d/${i}.txt`, `before ${i}`);
    const put = await mirrorCall(mirror.url, 'PUT', u.z32, u.cookie, JSON.stringify({ primary: primaryKey.publicKey.z32 }));
    assert.equal(put.status, 200, put.text);
    await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.appliedEvents >= 3 && s.state === 'live');

    await primary.close();
    const down = await waitForMirror(mirror.url, u.z32, u.cookie, (s) => s.state === 'retrying');
    assert.match(down.lastError ?? '', /did not answer|ECONNREFUSED/);

    primary = await startExtraHomeserver(testnet, opts);
    for (let i = 3; i < 6; i++) await u.session.storage.putText(`/pub/d/${i}.txt`, `after ${i}`);
    const back = await waitForMirror(
      mirror.url,
      u.z32,
      u.cookie,
      (s) => s.appliedEvents >= 6 && s.state === 'live' && s.pendingEvents === 0,
    );
    assert.equal(back.lastError, null);
    for (let i = 0; i < 6; i++)
      assert.equal(await (await mirrorGet(u.z32, `/pub/d/${i}.txt`)).text(), `${i < 3 ? 'before' : 'after'} ${i}`);
  });
});
