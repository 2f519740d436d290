// Two homeservers on one PostgreSQL database, chosen by `general.database_url` alone: what one
// instance writes, the other serves, and its event stream delivers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthToken, Keypair } from '@pubky-ts/common';
import { as, signup, startTestServer } from '../helpers.ts';
import { adminQuery, randomSchema, requirePostgres, TEST_DATABASE_URL } from './pg-helpers.ts';

test('two instances configured with one database_url share users, sessions, files and events', async (t) => {
  await requirePostgres();
  const name = randomSchema();
  await adminQuery(`CREATE DATABASE ${name}`);
  t.after(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const keypair = Keypair.random();
  const overrides = { general: { database_url: url.toString() } };
  const a = await startTestServer(overrides, { keypair });
  t.after(() => a.stop());
  const b = await startTestServer(overrides, { keypair });
  t.after(() => b.stop());

  const { kp, cookie } = await signup(a);
  // The cookie session created through A is valid on B.
  const put = await b.req('/pub/shared.txt', { method: 'PUT', body: 'from b', headers: as(kp, cookie) });
  assert.equal(put.status, 201);
  const got = await a.req('/pub/shared.txt', { headers: as(kp) });
  assert.equal(got.status, 200);
  assert.equal(await got.text(), 'from b');

  // A's event feed and stream show the write made through B.
  const feed = await (await a.req('/events/')).text();
  assert.match(feed, new RegExp(`PUT pubky://${kp.publicKey.z32}/pub/shared.txt`));
  const stream = await a.req(`/events-stream?user=${kp.publicKey.z32}&limit=1`);
  assert.match(await stream.text(), /event: PUT\ndata: pubky:\/\/\w+\/pub\/shared\.txt\ndata: cursor: \d+\n/);

  // The AuthToken replay guard is shared: a token accepted by A is refused by B.
  const token = Buffer.from(AuthToken.sign(kp, '/:rw').serialize());
  assert.equal((await a.req('/session', { method: 'POST', body: token, headers: as(kp) })).status, 200);
  const replay = await b.req('/session', { method: 'POST', body: token, headers: as(kp) });
  assert.equal(replay.status, 400);
  assert.match(await replay.text(), /already used/);
});
