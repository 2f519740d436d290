import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { as, signup, startTestServer, type TestServer } from './helpers.ts';

// The cookie session and the user record are cached in memory (storage/sqlite/row-cache.ts). Every
// check below first warms the caches with a successful PUT, then changes the state and expects the
// very next request to see the change.
describe('cached sessions and users never go stale over HTTP', () => {
  let hs: TestServer;
  before(async () => {
    hs = await startTestServer();
  });
  after(() => hs.stop());

  const put = (kp: Parameters<typeof as>[0], cookie: string, path: string, body: BodyInit = 'x') =>
    hs.req(path, { method: 'PUT', body, headers: as(kp, cookie) });

  test('sign-out: the next write with that cookie is 401', async () => {
    const { kp, cookie } = await signup(hs);
    assert.equal((await put(kp, cookie, '/pub/c/1')).status, 201);
    assert.equal((await put(kp, cookie, '/pub/c/2')).status, 201);
    assert.equal((await hs.req('/session', { method: 'DELETE', headers: as(kp, cookie) })).status, 200);
    const r = await put(kp, cookie, '/pub/c/3');
    assert.equal(r.status, 401);
    assert.equal(await r.text(), 'No authenticated session found');
  });

  test('admin disable and quota changes apply to the very next write', async () => {
    const { kp, cookie } = await signup(hs);
    const z = kp.publicKey.z32;
    assert.equal((await put(kp, cookie, '/pub/q/1')).status, 201);
    await hs.admin(`/users/${z}/disable`, { method: 'POST' });
    assert.equal((await put(kp, cookie, '/pub/q/2')).status, 403);
    await hs.admin(`/users/${z}/enable`, { method: 'POST' });
    assert.equal((await put(kp, cookie, '/pub/q/2')).status, 201);

    // 1 MB quota; the two files so far use 2 × 257 bytes.
    let r = await hs.admin(`/users/${z}/quota`, { method: 'PATCH', body: JSON.stringify({ storage_quota_mb: 1 }) });
    assert.equal(r.status, 200);
    const almost = new Uint8Array(1_048_576 - 2 * 257 - 256 - 10);
    assert.equal((await put(kp, cookie, '/pub/q/big', almost)).status, 201, 'fits exactly with 10 bytes to spare');
    r = await put(kp, cookie, '/pub/q/3', new Uint8Array(11));
    assert.equal(r.status, 507, 'usage from the previous write is seen (new file needs 11 + 256)');
    assert.equal((await hs.req('/pub/q/big', { method: 'DELETE', headers: as(kp, cookie) })).status, 204);
    assert.equal((await put(kp, cookie, '/pub/q/3', new Uint8Array(11))).status, 201, 'the refund is seen');
    await hs.admin(`/users/${z}/quota`, { method: 'PATCH', body: JSON.stringify({ storage_quota_mb: 0 }) });
    assert.equal((await put(kp, cookie, '/pub/q/4')).status, 507, 'quota lowered to 0');
  });

  test('account deletion: the old cookie stops working at once', async () => {
    const { kp, cookie } = await signup(hs);
    assert.equal((await put(kp, cookie, '/pub/d/1')).status, 201);
    assert.equal((await hs.admin(`/users/${kp.publicKey.z32}`, { method: 'DELETE' })).status, 204);
    assert.equal((await put(kp, cookie, '/pub/d/2')).status, 401);
  });

  test('changes made by another process on the same database file are seen', async () => {
    const { kp, cookie } = await signup(hs);
    assert.equal((await put(kp, cookie, '/pub/o/1')).status, 201);
    const other = new Database(join(hs.dataDir, 'homeserver.sqlite'));
    try {
      other.prepare('UPDATE users SET disabled = 1 WHERE public_key = ?').run(kp.publicKey.z32);
      assert.equal((await put(kp, cookie, '/pub/o/2')).status, 403, 'disabled elsewhere');
      other.prepare('UPDATE users SET disabled = 0 WHERE public_key = ?').run(kp.publicKey.z32);
      assert.equal((await put(kp, cookie, '/pub/o/2')).status, 201);
      other.prepare('DELETE FROM sessions WHERE secret = ?').run(cookie.split('=')[1]);
      assert.equal((await put(kp, cookie, '/pub/o/3')).status, 401, 'session removed elsewhere');
    } finally {
      other.close();
    }
  });
});
