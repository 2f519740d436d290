// The scale-out testnet: three homeserver processes on one PostgreSQL database behind the load
// balancer, as `npm start -- --postgres <url> --instances 3` runs it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { AuthToken, Keypair } from '@pubky-ts/common';
import { startTestnet } from '../src/index.ts';

const ADMIN_URL = process.env.PUBKY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}: ${(e as Error).message} (.ci/run starts it)`);
  }
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

test('three processes behind the load balancer serve one account; killing one loses nothing acknowledged', async (t) => {
  const db = `cluster_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${db}`);
  t.after(() => admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${db}`;
  const net = await startTestnet({ postgres: url.toString(), instances: 3, signupMode: 'open', logLevel: 'silent' });
  t.after(() => net.close());
  assert.equal(net.cluster?.instances.length, 3);

  const hs = net.homeserver.url;
  const user = Keypair.random();
  const signup = await fetch(`${hs}/signup`, { method: 'POST', body: Buffer.from(AuthToken.sign(user, '/:rw').serialize()) });
  assert.equal(signup.status, 200);
  const cookie = signup.headers.get('set-cookie')!.split(';')[0];
  const headers = { 'pubky-host': user.publicKey.z32, cookie };

  // Round robin spreads these writes over all three processes; each one must be readable everywhere.
  const acked: string[] = [];
  await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const res = await fetch(`${hs}/pub/f${i}`, { method: 'PUT', body: `content ${i}`, headers });
      if (res.status === 201) acked.push(`f${i}`);
    }),
  );
  assert.equal(acked.length, 30);
  for (const inst of net.cluster!.instances) {
    const list = await (await fetch(`${inst.url}/pub/`, { headers: { 'pubky-host': user.publicKey.z32 } })).text();
    assert.equal(list.split('\n').length, 30, `instance ${inst.index} lists every write`);
  }

  net.cluster!.kill(1);
  for (const name of acked) {
    const res = await fetch(`${hs}/pub/${name}`, { headers: { 'pubky-host': user.publicKey.z32 } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), `content ${name.slice(1)}`);
  }
  const feed = await (await fetch(`${hs}/events/?limit=1000`)).text();
  assert.equal(feed.split('\n').filter((l) => l.startsWith('PUT ')).length, 30, 'one event per write, from any process');
});
