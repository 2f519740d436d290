// App passwords against a real homeserver: created through the SDK as a grant, used as HTTP Basic on
// the user WebDAV mount (`/dav/`), limited to the grant's capabilities, ended by revoking the grant.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { MemoryPacketSource, Pubky, type Session, createAppPassword } from '@pubky-ts/client';
import { startTestHomeserver, type TestHomeserver } from './helpers.ts';

const source = new MemoryPacketSource();
let hs: TestHomeserver;
let pubky: Pubky;
let user: Keypair;
let session: Session;

before(async () => {
  hs = await startTestHomeserver(source, { open: true });
  pubky = new Pubky({ packetSource: source });
  user = Keypair.random();
  session = await pubky.signer(user).signup(hs.publicKey);
  await session.storage.putText('/priv/secret.txt', 'mine');
  await session.storage.putText('/pub/hello.txt', 'hello');
});
after(() => hs.stop());

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

test('an app password mounts the user’s own tree with the grant’s capabilities only', async () => {
  const app = await createAppPassword(pubky, user, { capabilities: '/pub/:rw' });
  assert.equal(app.username, user.publicKey.z32);
  assert.equal(new URL(app.davUrl).port, new URL(hs.url).port);
  assert.equal(new URL(app.davUrl).pathname, '/dav/');
  const dav = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${hs.url}/dav${path}`, { ...init, headers: { authorization: basic(app.username, app.password), ...(init.headers ?? {}) } });

  const r = await dav('/', { method: 'PROPFIND', headers: { depth: '1' } });
  assert.equal(r.status, 207);
  assert.deepEqual(
    [...(await r.text()).matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]),
    ['/dav/', '/dav/pub/', '/dav/priv/'],
  );
  assert.equal(await (await dav('/pub/hello.txt')).text(), 'hello');
  assert.equal((await dav('/pub/new', { method: 'MKCOL' })).status, 201);
  assert.equal((await dav('/pub/new/a.txt', { method: 'PUT', body: 'from webdav' })).status, 201);
  assert.equal(await session.storage.getText('/pub/new/a.txt'), 'from webdav', 'the SDK sees the WebDAV write');
  // Outside the grant: no private reads, no private writes.
  assert.equal((await dav('/priv/secret.txt')).status, 403);
  assert.equal((await dav('/priv/x.txt', { method: 'PUT', body: 'x' })).status, 403);
  assert.equal((await dav('/pub/new/a.txt', { method: 'COPY', headers: { destination: '/dav/priv/a.txt' } })).status, 403);
  assert.equal((await dav('/priv/', { method: 'PROPFIND', headers: { depth: '1' } })).status, 403);
});

test('wrong, foreign, malformed and revoked passwords get 401 with a Basic challenge', async () => {
  const app = await createAppPassword(pubky, user, { capabilities: '/:rw' });
  const other = Keypair.random();
  await pubky.signer(other).signup(hs.publicKey);
  const otherApp = await createAppPassword(pubky, other, { capabilities: '/:rw' });
  const status = async (auth?: string, method = 'PROPFIND') => {
    const r = await fetch(`${hs.url}/dav/pub/`, { method, headers: auth ? { authorization: auth, depth: '0' } : { depth: '0' } });
    await r.arrayBuffer();
    return { status: r.status, challenge: r.headers.get('www-authenticate') };
  };
  assert.equal((await status(basic(app.username, app.password))).status, 207);
  const [gid, secret] = [app.password.slice(0, app.password.lastIndexOf('.')), app.password.slice(app.password.lastIndexOf('.') + 1)];
  for (const auth of [
    undefined,
    basic(app.username, `${gid}.${secret.slice(0, -2)}AA`),
    basic(app.username, otherApp.password),
    basic(other.publicKey.z32, app.password),
    basic(app.username, `${gid}`),
    basic('admin', 'admin'),
    'Basic !!!',
    'Bearer x',
    basic(app.username, `${'x'.repeat(30)}.${secret}`),
  ]) {
    const s = await status(auth);
    assert.equal(s.status, 401, String(auth));
    assert.match(s.challenge ?? '', /^Basic realm=/);
  }
  assert.equal((await status(undefined, 'OPTIONS')).status, 200, 'OPTIONS without credentials (Windows probes first)');
  // Revoke through the homeserver's grant route, as any grant is revoked.
  const r = await pubky.http.request({ method: 'DELETE', owner: user.publicKey, path: `/auth/grant/session/${encodeURIComponent(gid)}` });
  await r.arrayBuffer();
  assert.ok(r.status === 204 || r.status === 200, `revoke: ${r.status}`);
  assert.equal((await status(basic(app.username, app.password))).status, 401, 'revoked');
});

test('lock tokens are the principal’s own: the operator’s lock holds against the user, and its token does not open it', async () => {
  const app = await createAppPassword(pubky, user, { capabilities: '/pub/:rw' });
  const z = user.publicKey.z32;
  const admin = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
  await session.storage.putText('/pub/locked.txt', 'v1');
  const lockinfo =
    '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
  const lock = await fetch(`${hs.adminUrl}/dav/${z}/pub/locked.txt`, { method: 'LOCK', body: lockinfo, headers: { authorization: admin } });
  assert.equal(lock.status, 200);
  const token = /<([^>]+)>/.exec(lock.headers.get('lock-token')!)![1]!;
  const put = (headers: Record<string, string>) =>
    fetch(`${hs.url}/dav/pub/locked.txt`, {
      method: 'PUT',
      body: 'v2',
      headers: { authorization: basic(app.username, app.password), ...headers },
    });
  assert.equal((await put({})).status, 423, 'locked by the operator');
  assert.equal((await put({ if: `(<${token}>)` })).status, 412, "someone else's token is no lock of mine");
  const unlock = await fetch(`${hs.url}/dav/pub/locked.txt`, {
    method: 'UNLOCK',
    headers: { authorization: basic(app.username, app.password), 'lock-token': `<${token}>` },
  });
  assert.equal(unlock.status, 403, 'nor can I unlock it');
  assert.equal(await session.storage.getText('/pub/locked.txt'), 'v1');
  assert.equal(
    (
      await fetch(`${hs.adminUrl}/dav/${z}/pub/locked.txt`, {
        method: 'UNLOCK',
        headers: { authorization: admin, 'lock-token': `<${token}>` },
      })
    ).status,
    204,
  );
  assert.equal((await put({})).status, 204);
});
