import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, PubkyError, PublicKey } from '@pubky-ts/common';
import { RelayClient } from '../src/relay-client.ts';
import { SignedPacket } from '../src/signed-packet.ts';
import { txtRecord } from '../src/dns/txt.ts';
import { FakeRelay } from './fake-relay.ts';

let relay: FakeRelay;
before(async () => {
  relay = await new FakeRelay().start();
});
after(async () => {
  await relay.close();
});
beforeEach(() => {
  relay.packets.clear();
  relay.requests.length = 0;
  relay.override = null;
  relay.storedNodes = '8';
});

async function code(p: Promise<unknown>): Promise<PubkyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PubkyError, `expected a PubkyError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

function packet(kp = Keypair.random(), timestamp?: number): SignedPacket {
  return SignedPacket.sign(kp, [txtRecord('_foo', 'bar', 30)], { timestamp });
}

test('publish then resolve through a relay', async () => {
  const client = new RelayClient(relay.url);
  const p = packet();
  assert.equal(await client.publish(p), 8);
  const put = relay.requests[0];
  assert.equal(put.method, 'PUT');
  assert.equal(put.url, `/${p.publicKey.z32}`);
  assert.equal(put.headers['if-match'], undefined);
  assert.deepEqual(new Uint8Array(put.body), p.toRelayPayload());
  const got = await client.resolve(p.publicKey, { policy: 'NetworkOnly', bypassCache: true });
  assert.ok(got.isSameAs(p));
  const get = relay.requests[1];
  assert.equal(get.url, `/${p.publicKey.z32}?policy=NetworkOnly`);
  assert.equal(get.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  assert.equal(get.headers['if-modified-since'], undefined);
  // Memento-Datetime (whole seconds of the relay's own lastSeen, set when it received the PUT) becomes lastSeen
  const atRelay = relay.packets.get(p.publicKey.z32)!;
  assert.equal(got.lastSeen, Math.floor(atRelay.lastSeen / 1e6) * 1e6);
});

test('the default policy is CacheFirst and a base path is kept without doubling slashes', async () => {
  const p = packet();
  relay.packets.set(p.publicKey.z32, p);
  const client = new RelayClient(`${relay.url}/relay/`);
  assert.ok((await client.resolve(p.publicKey)).isSameAs(p));
  assert.equal(relay.requests[0].url, `/relay/${p.publicKey.z32}?policy=CacheFirst`);
});

test('PUT: If-Match carries cas; 409/412/428 map to their codes', async () => {
  const kp = Keypair.random();
  const client = new RelayClient(relay.url);
  const first = packet(kp, 1_000_000);
  await client.publish(first);
  const second = packet(kp, 2_000_000);
  assert.equal((await code(client.publish(second, { cas: 999 }))).code, 'cas_failed');
  assert.equal(relay.requests.at(-1)?.headers['if-match'], '999');
  assert.equal(await client.publish(second, { cas: 1_000_000 }), 8);
  assert.equal((await code(client.publish(first))).code, 'not_most_recent');
  relay.override = (_req, res) => (res.writeHead(428).end(), true);
  const e = await code(client.publish(second));
  assert.equal(e.code, 'conflict_risk');
  assert.equal((e as { status?: number }).status, 428);
});

test('PUT: stored-nodes header missing means 1, malformed is an error', async () => {
  const client = new RelayClient(relay.url);
  relay.storedNodes = null;
  assert.equal(await client.publish(packet()), 1);
  relay.storedNodes = 'many';
  assert.equal((await code(client.publish(packet()))).code, 'relay_invalid_header');
  relay.storedNodes = '20';
  assert.equal(await client.publish(packet()), 20);
});

test('status codes map to stable error codes', async () => {
  const client = new RelayClient(relay.url);
  const key = Keypair.random().publicKey;
  const cases: Array<[number, string]> = [
    [400, 'relay_bad_request'],
    [413, 'packet_too_large'],
    [429, 'relay_rate_limited'],
    [500, 'relay_unexpected_status'],
    [503, 'dht_unavailable'],
  ];
  for (const [status, expected] of cases) {
    relay.override = (_req, res) => (res.writeHead(status).end('No DHT nodes were queried'), true);
    const e = await code(client.resolve(key));
    assert.equal(e.code, expected, `GET ${status}`);
    assert.match(e.message, /No DHT nodes were queried/);
    assert.equal((await code(client.publish(packet()))).code, expected, `PUT ${status}`);
  }
});

test('404 is not_found; with an invalid-seq header it is invalid_signed_packet unless covered', async () => {
  const client = new RelayClient(relay.url);
  const key = Keypair.random().publicKey;
  assert.equal((await code(client.resolve(key))).code, 'not_found');
  relay.override = (_req, res) => (res.writeHead(404, { 'pkarr-invalid-signed-packet-seq': '5000000' }).end(), true);
  const e = await code(client.resolve(key));
  assert.equal(e.code, 'invalid_signed_packet');
  assert.equal((e as { seq?: number }).seq, 5_000_000);
  assert.equal((await code(client.resolve(key, { newerThan: 5_000_000 }))).code, 'not_found');
  assert.equal((await code(client.resolve(key, { newerThan: 4_999_999 }))).code, 'invalid_signed_packet');
  relay.override = (_req, res) => (res.writeHead(404, { 'pkarr-invalid-signed-packet-seq': '12x' }).end(), true);
  assert.equal((await code(client.resolve(key))).code, 'relay_invalid_header');
});

test('If-Modified-Since has whole-second precision (spec §10.9, §11.6)', async () => {
  const client = new RelayClient(relay.url);
  const kp = Keypair.random();
  const ts = 784111777500000; // Sun, 06 Nov 1994 08:49:37 GMT + 0.5 s
  const p = packet(kp, ts);
  relay.packets.set(kp.publicKey.z32, p);
  // the resolver's bound for a cached copy of this very packet: ts − 1 s
  const got = await client.resolve(kp.publicKey, { newerThan: ts - 1_000_000 });
  assert.ok(got.isSameAs(p));
  assert.equal(relay.requests[0].headers['if-modified-since'], 'Sun, 06 Nov 1994 08:49:36 GMT');
  // IMS = ts − 1 µs formats to 08:49:37, which must not cover 08:49:37.5: the relay answers 200
  relay.requests.length = 0;
  assert.ok((await client.resolve(kp.publicKey, { newerThan: ts - 1 })).isSameAs(p));
  assert.equal(relay.requests[0].headers['if-modified-since'], 'Sun, 06 Nov 1994 08:49:37 GMT');
  // with the packet's own timestamp as bound the relay still answers 200 (second precision),
  // and the client itself drops a packet at or below its bound
  relay.requests.length = 0;
  assert.equal((await code(client.resolve(kp.publicKey, { newerThan: ts }))).code, 'not_found');
  assert.equal(relay.requests.length, 1);
  // a whole-second packet equal to IMS is 304
  const whole = packet(kp, 784111777000000);
  relay.packets.set(kp.publicKey.z32, whole);
  relay.requests.length = 0;
  assert.equal((await code(client.resolve(kp.publicKey, { newerThan: 784111777000000 }))).code, 'not_found');
  assert.equal(relay.requests.length, 1, '304 with IMS sent: no retry');
});

test('an impossible 304 or an empty 200 is retried once, bypassing caches', async () => {
  const client = new RelayClient(relay.url);
  const p = packet();
  relay.packets.set(p.publicKey.z32, p);
  let n = 0;
  relay.override = (_req, res) => {
    if (n++ > 0) return false;
    res.writeHead(304).end();
    return true;
  };
  assert.ok((await client.resolve(p.publicKey)).isSameAs(p));
  assert.equal(relay.requests.length, 2);
  assert.equal(relay.requests[0].headers['cache-control'], undefined);
  assert.equal(relay.requests[1].headers['cache-control'], 'no-cache, no-store, must-revalidate');
  relay.requests.length = 0;
  n = 0;
  relay.override = (_req, res) => {
    if (n++ > 0) return false;
    res.writeHead(200).end();
    return true;
  };
  assert.ok((await client.resolve(p.publicKey)).isSameAs(p));
  assert.equal(relay.requests.length, 2);
});

test('bodies over 1104 bytes are refused, declared or streamed', async () => {
  const client = new RelayClient(relay.url);
  const key = Keypair.random().publicKey;
  relay.override = (_req, res) => (res.writeHead(200, { 'content-length': 2000 }).end(Buffer.alloc(2000)), true);
  assert.equal((await code(client.resolve(key))).code, 'relay_body_too_large');
  relay.override = (_req, res) => {
    res.writeHead(200);
    res.write(Buffer.alloc(1000));
    res.end(Buffer.alloc(1000));
    return true;
  };
  assert.equal((await code(client.resolve(key))).code, 'relay_body_too_large');
});

test('garbage payloads and packets of another key are relay_invalid_payload', async () => {
  const client = new RelayClient(relay.url);
  const key = Keypair.random().publicKey;
  relay.override = (_req, res) => (res.writeHead(200).end(Buffer.alloc(200, 7)), true);
  assert.equal((await code(client.resolve(key))).code, 'relay_invalid_payload');
  const other = packet();
  relay.override = (_req, res) => (res.writeHead(200).end(other.toRelayPayload()), true);
  const e = await code(client.resolve(key));
  assert.equal(e.code, 'relay_invalid_payload');
  assert.equal((e.cause as PubkyError).code, 'invalid_signature');
});

test('a Memento-Datetime in the future is ignored', async () => {
  const client = new RelayClient(relay.url);
  const p = packet();
  relay.override = (_req, res) => {
    res.writeHead(200, { 'memento-datetime': 'Fri, 01 Jan 2100 00:00:00 GMT' }).end(p.toRelayPayload());
    return true;
  };
  const before = Date.now() * 1000;
  const got = await client.resolve(p.publicKey);
  assert.ok(got.lastSeen >= before && got.lastSeen <= Date.now() * 1000 + 1000);
});

test('timeouts, refused connections and aborts have their own codes', async () => {
  const key = Keypair.random().publicKey;
  relay.override = () => true; // never answers
  const slow = new RelayClient(relay.url, { timeoutMs: 150 });
  const t0 = Date.now();
  assert.equal((await code(slow.resolve(key))).code, 'relay_timeout');
  assert.ok(Date.now() - t0 < 1500);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  assert.equal((await code(new RelayClient(relay.url).resolve(key, { signal: ac.signal }))).code, 'aborted');
  relay.override = null;
  // a port nobody listens on (port 1 on loopback is closed)
  assert.equal((await code(new RelayClient('http://127.0.0.1:1').resolve(key))).code, 'relay_request_failed');
});

test('bad relay URLs are refused at construction', () => {
  for (const bad of ['not a url', 'ftp://example.com', 'file:///etc/passwd']) {
    assert.throws(
      () => new RelayClient(bad),
      (e: unknown) => e instanceof PubkyError && e.code === 'invalid_relay_url',
    );
  }
  const c = new RelayClient('https://relay.example/base');
  assert.equal(
    c.urlFor(PublicKey.parse('8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo'), 'CacheOnly').href,
    'https://relay.example/base/8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo?policy=CacheOnly',
  );
});
