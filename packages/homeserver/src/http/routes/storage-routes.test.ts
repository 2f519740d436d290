// PUT's optimistic first attempt (session and user from memory, confirmed at commit): a change made
// by another process after those records were cached is never honoured; the checked attempt answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Keypair } from '@pubky-ts/common';
import { signup, startTestServer, type TestServer } from '../../../test/helpers.ts';

let hs: TestServer;
before(async () => {
  hs = await startTestServer();
});
after(async () => {
  await hs?.stop();
});

test('writes authorised from cached records: changes by another process are seen at commit', async () => {
  const { kp, cookie } = await signup(hs, Keypair.random());
  const z = kp.publicKey.z32;
  const headers = { 'pubky-host': z, cookie };
  const put = (path: string) => hs.req(path, { method: 'PUT', body: 'x', headers });
  // A private read resolves session and user the checked way, which leaves both in memory.
  const cacheBoth = async () => assert.equal((await hs.req('/priv/none', { headers })).status, 404);
  const other = new Database(join(hs.dataDir, 'homeserver.sqlite'));
  try {
    assert.equal((await put('/pub/o/1')).status, 201);
    await cacheBoth();
    other.prepare('UPDATE users SET disabled = 1 WHERE public_key = ?').run(z);
    const refused = await put('/pub/o/2');
    assert.equal(refused.status, 403);
    assert.equal(await refused.text(), 'User is disabled');
    assert.equal(await hs.store.files.head(z, '/pub/o/2'), null);

    other.prepare('UPDATE users SET disabled = 0 WHERE public_key = ?').run(z);
    await cacheBoth();
    assert.equal((await put('/pub/o/3')).status, 201);
    await cacheBoth();
    other.prepare('DELETE FROM sessions WHERE secret = ?').run(cookie.split('=')[1]);
    const signedOut = await put('/pub/o/4');
    assert.equal(signedOut.status, 401);
    assert.equal(await hs.store.files.head(z, '/pub/o/4'), null);
    assert.ok(await hs.store.files.head(z, '/pub/o/3'));
  } finally {
    other.close();
  }
});
