// Mirrors on the PostgreSQL profile: two mirror processes share one database; one follows the user
// (it holds the lease), the other shows the same status from the table and takes over when the first
// stops.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { createGrant, Pubky } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type Testnet } from '@pubky-ts/testnet';
import { resolveConfig, pkarrPublisher, startHomeserver, type RunningHomeserver } from '@pubky-ts/homeserver';
import { openPostgresStore } from '../../homeserver/src/storage/postgres/open-store.ts';
import { cookieSession, mirrorCall, PrimaryProxy, waitForMirror } from './mirror-helpers.ts';
import { tempDir } from '../../homeserver/test/helpers.ts';
import { adminQuery, randomSchema, requirePostgres, TEST_DATABASE_URL } from '../../homeserver/test/postgres/pg-helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function mirrorInstance(testnet: Testnet, keypair: Keypair, schema: string): Promise<RunningHomeserver> {
  const dir = tempDir('mirror-pg-');
  const config = resolveConfig(dir, {
    general: { signup_mode: 'open' },
    drive: { icann_listen_socket: '127.0.0.1:0', pubky_listen_socket: '127.0.0.1:0' },
    admin: { listen_socket: '127.0.0.1:0', admin_password: 'admin' },
    pkdns: {
      public_ip: '127.0.0.1',
      icann_domain: 'localhost',
      dht_bootstrap_nodes: testnet.bootstrap,
      dht_relay_nodes: [testnet.pkarrRelay.url],
      dht_request_timeout_ms: 1000,
    },
    logging: { level: 'silent' },
  });
  const store = await openPostgresStore({
    databaseUrl: TEST_DATABASE_URL,
    schema,
    blobs: 'postgres',
    pollIntervalMs: 1000,
    maxConnections: 4,
  });
  const hs = await startHomeserver(config, { keypair, store, publisher: pkarrPublisher() });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return hs;
}

test('two mirror processes on one PostgreSQL database: one follows, both report, the other takes over', async () => {
  await requirePostgres();
  const testnet = await startTestnet({ signupMode: 'open' });
  cleanups.push(() => testnet.close());
  const schema = randomSchema();
  cleanups.push(() => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined));
  const primaryKey = Keypair.random();
  // The primary is reached only through a proxy: it publishes the proxy's port itself, so no
  // second packet competes with its own on the DHT.
  const proxy = await new PrimaryProxy('http://127.0.0.1:1').start();
  cleanups.push(() => proxy.close());
  const primary = await startExtraHomeserver(testnet, { keypair: primaryKey, config: { pkdns: { public_icann_http_port: proxy.port } } });
  cleanups.push(() => primary.close());
  proxy.target = primary.url;

  const mirrorKey = Keypair.random();
  const a = await mirrorInstance(testnet, mirrorKey, schema);
  let aOpen = true;
  cleanups.push(() => (aOpen ? a.close() : undefined));

  const pubky = new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });
  const kp = Keypair.random();
  const user = kp.publicKey.z32;
  const session = await pubky.signer(kp).signup(primaryKey.publicKey, null);
  const cookie = await cookieSession(a.url, kp);
  for (let i = 0; i < 5; i++) await session.storage.putText(`/pub/pg/${i}.txt`, `one ${i}`);
  await session.storage.putText('/priv/pg/secret.txt', 'private');
  const grant = createGrant(kp, { clientId: 'pubky-mirror', clientKey: mirrorKey.publicKey, capabilities: '/:r' });
  const put = await mirrorCall(a.url, 'PUT', user, cookie, JSON.stringify({ primary: primaryKey.publicKey.z32, grant }));
  assert.equal(put.status, 200, put.text);
  await waitForMirror(a.url, user, cookie, (s) => s.appliedEvents >= 6 && s.state === 'live');

  const b = await mirrorInstance(testnet, mirrorKey, schema);
  cleanups.push(() => b.close());
  await new Promise((r) => setTimeout(r, 500));
  const liveStreams = () => proxy.log.requests.filter((r) => r.includes('/events-stream') && r.includes('live=true')).length;
  assert.equal(liveStreams(), 1, `only the lease holder follows the primary: ${proxy.log.requests.join(' | ')}`);
  // B reads the status A keeps in the shared table (the cookie session is shared too).
  const fromB = await mirrorCall(b.url, 'GET', user, cookie);
  assert.equal(fromB.status, 200, fromB.text);
  assert.equal(fromB.json?.appliedEvents, 6, fromB.text);
  assert.equal(fromB.json?.state, 'live', fromB.text);
  const adminB = (await (await fetch(`${b.adminUrl}/mirrors`, { headers: { 'x-admin-password': 'admin' } })).json()) as {
    items: Array<{ user: string }>;
  };
  assert.deepEqual(
    adminB.items.map((i) => i.user),
    [user],
  );

  // A stops (and gives up its lease): B takes over at its next lease round and catches up.
  await a.close();
  aOpen = false;
  for (let i = 5; i < 8; i++) await session.storage.putText(`/pub/pg/${i}.txt`, `two ${i}`);
  const caught = await waitForMirror(b.url, user, cookie, (s) => s.appliedEvents >= 9 && s.pendingEvents === 0, 30_000, 100);
  assert.equal(caught.lastError, null);
  assert.equal(liveStreams(), 2, proxy.log.requests.join(' | '));
  const got = await fetch(`${b.url}/pub/pg/7.txt`, { headers: { 'pubky-host': user } });
  assert.equal(await got.text(), 'two 7');
  const priv = await fetch(`${b.url}/priv/pg/secret.txt`, { headers: { 'pubky-host': user, cookie } });
  assert.equal(await priv.text(), 'private');
});
