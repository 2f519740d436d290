// `runDoctor` against real set-ups on loopback: a healthy homeserver published on a testnet, the same
// homeserver with a config its packet does not match, and a data directory with every local fault.
// No check here leaves the machine: domains are IP literals (no DNS query), relays and DHT are the testnet's.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { bytesToHex, Keypair } from '@pubky-ts/common';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { resolveConfig, runDoctor, formatDoctorReport, type CheckResult, type HomeserverConfig } from '@pubky-ts/homeserver';

let net: Testnet;
let hs: ExtraHomeserver;
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pubky-doctor-'));
  dirs.push(dir);
  return dir;
}

function byCheck(results: CheckResult[], check: string): CheckResult {
  const r = results.find((x) => x.check === check);
  assert.ok(r, `a ${check} finding in ${results.map((x) => x.check).join(', ')}`);
  return r;
}

before(async () => {
  net = await startTestnet({ logLevel: 'silent' });
  const dataDir = tempDir();
  const keypair = Keypair.random();
  writeFileSync(join(dataDir, 'secret'), bytesToHex(keypair.secretKey), { mode: 0o600 });
  hs = await startExtraHomeserver(net, { keypair, dataDir, logLevel: 'silent' });
});
after(async () => {
  await hs?.close();
  await net?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a healthy homeserver on a testnet: its packet is on the relay and the DHT and names what the config says', async () => {
  const report = await runDoctor(hs.config, { timeoutMs: 3000 });
  const failed = report.results.filter((r) => r.status === 'fail');
  assert.deepEqual(failed, [], formatDoctorReport(report));
  assert.equal(report.ok, true);
  assert.equal(byCheck(report.results, 'pkarr-packet-relays').status, 'ok');
  assert.equal(byCheck(report.results, 'pkarr-packet-dht').status, 'ok');
  assert.match(
    byCheck(report.results, 'dht-bootstrap').message,
    new RegExp(`^${net.bootstrap.length} of ${net.bootstrap.length} DHT bootstrap nodes answered`),
  );
  assert.equal(byCheck(report.results, 'secret-key').status, 'ok');
  assert.match(byCheck(report.results, 'database').message, /schema at migration \d+/);
  assert.match(byCheck(report.results, 'socket-client-API').message, /something listens|free port/);
  // the testnet keeps the default admin password, on loopback: a warning, not a failure
  assert.equal(byCheck(report.results, 'admin-password').status, 'warn');
});

test('a config the published packet does not match, and a domain without HTTPS, are failures that say what to do', async () => {
  const port = Number(new URL(hs.url).port);
  const config: HomeserverConfig = { ...hs.config, pkdns: { ...hs.config.pkdns, icannDomain: '127.0.0.1', publicIcannHttpPort: port } };
  const report = await runDoctor(config, { timeoutMs: 3000 });
  assert.equal(report.ok, false);
  assert.equal(byCheck(report.results, 'domain').status, 'ok'); // an IP literal resolves to itself
  const https = byCheck(report.results, 'https');
  assert.equal(https.status, 'fail', formatDoctorReport(report));
  assert.match(https.message, new RegExp(`https://127\\.0\\.0\\.1:${port}/ cannot be reached`));
  assert.match(https.fix ?? '', /reverse proxy/);
  const packet = byCheck(report.results, 'pkarr-packet-relays');
  assert.equal(packet.status, 'fail');
  assert.match(packet.message, /no HTTPS record names 127\.0\.0\.1 \(targets: localhost\)/);
  assert.match(packet.fix ?? '', /restart the homeserver/);
});

test('local faults: a key others can read, a database from a newer homeserver, an exposed default admin password, a taken port, a private public_ip', async () => {
  const dataDir = tempDir();
  writeFileSync(join(dataDir, 'secret'), bytesToHex(Keypair.random().secretKey));
  chmodSync(join(dataDir, 'secret'), 0o644);
  const db = new Database(join(dataDir, 'homeserver.sqlite'));
  db.exec('CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at INTEGER NOT NULL)');
  db.prepare('INSERT INTO migrations VALUES (?, ?, ?)').run(999, '0999-from-the-future', 0);
  db.close();
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const takenPort = (taken.address() as { port: number }).port;
  try {
    const config = resolveConfig(dataDir, {
      drive: { icann_listen_socket: `127.0.0.1:${takenPort}` },
      admin: { listen_socket: '0.0.0.0:0', admin_password: 'admin' },
      pkdns: { public_ip: '10.1.2.3', icann_domain: 'example.org' },
    });
    const report = await runDoctor(config, { offline: true });
    assert.equal(report.ok, false);
    const secret = byCheck(report.results, 'secret-key');
    assert.equal(secret.status, 'warn');
    assert.equal(secret.fix, `chmod 600 ${join(dataDir, 'secret')}`);
    const database = byCheck(report.results, 'database');
    assert.equal(database.status, 'fail');
    assert.match(database.message, /migrations this homeserver does not know \(999\): a newer homeserver upgraded it/);
    const admin = byCheck(report.results, 'admin-password');
    assert.equal(admin.status, 'fail');
    assert.match(admin.message, /default "admin" and the admin API listens on 0\.0\.0\.0:0, reachable from other machines/);
    // something listens on the port (our own server here): reported as running, not as free
    assert.match(byCheck(report.results, 'socket-client-API').message, new RegExp(`something listens on 127\\.0\\.0\\.1:${takenPort}`));
    const publicAddress = byCheck(report.results, 'public-address');
    assert.equal(publicAddress.status, 'warn');
    assert.match(publicAddress.message, /10\.1\.2\.3, which other machines on the internet cannot reach/);
    assert.ok(!report.results.some((r) => r.check.startsWith('pkarr') || r.check === 'dht-bootstrap'), 'offline: no network check ran');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('a port this user may not bind is a failure naming the way out', async () => {
  const dataDir = tempDir();
  // 198.51.100.1 (TEST-NET-2) is no address of this machine: binding it fails with EADDRNOTAVAIL, nothing is sent
  const config = resolveConfig(dataDir, { drive: { icann_listen_socket: '198.51.100.1:6286' }, admin: { enabled: false } });
  const report = await runDoctor(config, { offline: true });
  const socket = byCheck(report.results, 'socket-client-API');
  assert.equal(socket.status, 'fail', formatDoctorReport(report));
  assert.match(socket.message, /cannot listen on 198\.51\.100\.1:6286 \(EADDRNOTAVAIL\)/);
  assert.match(socket.fix ?? '', /no such address/);
});
