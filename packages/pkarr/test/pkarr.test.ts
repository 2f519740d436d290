import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, PubkyError, type PublicKey } from '@pubky-ts/common';
import { Pkarr } from '../src/pkarr.ts';
import { SignedPacket } from '../src/signed-packet.ts';
import { txtRecord } from '../src/dns/txt.ts';
import { formatHttpDate } from '../src/http-date.ts';
import { FakeRelay } from './fake-relay.ts';
import { MemoryDht } from './memory-dht.ts';

let r1: FakeRelay;
let r2: FakeRelay;
before(async () => {
  r1 = await new FakeRelay().start();
  r2 = await new FakeRelay().start();
});
after(async () => {
  await r1.close();
  await r2.close();
});
beforeEach(() => {
  for (const r of [r1, r2]) {
    r.packets.clear();
    r.requests.length = 0;
    r.override = null;
    r.storedNodes = '8';
  }
});

async function rejects(p: Promise<unknown>): Promise<PubkyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PubkyError, `expected a PubkyError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

function dhtItem(p: SignedPacket) {
  return { key: p.publicKey.bytes, seq: p.timestamp, value: p.dnsBytes, signature: p.signature };
}

function packet(kp: Keypair, text: string, timestamp?: number, ttl = 3600): SignedPacket {
  return SignedPacket.sign(kp, [txtRecord('_t', text, ttl)], { timestamp });
}

function client(dht?: MemoryDht, relays = [r1.url, r2.url]) {
  return new Pkarr({ relays, dht, requestTimeoutMs: 1000 });
}

function text(p: SignedPacket | null): string | undefined {
  const r = p?.resourceRecords('_t')[0];
  return r && r.type === 'TXT' ? new TextDecoder().decode(r.strings[0]) : undefined;
}

test('needs a relay or a DHT', () => {
  assert.throws(
    () => new Pkarr({ relays: [] }),
    (e: unknown) => e instanceof PubkyError && e.code === 'no_network',
  );
});

test('CacheFirst: a miss asks DHT and relays, then the cache answers without network', async () => {
  const kp = Keypair.random();
  const dht = new MemoryDht();
  dht.add(dhtItem(packet(kp, 'from dht')));
  dht.delayMs = 100; // let the relays answer (not found) first: an early DHT answer would cancel them
  const pk = client(dht);
  assert.equal(text(await pk.resolve(kp.publicKey)), 'from dht');
  assert.equal(dht.gets.length, 1);
  assert.equal(dht.gets[0].seq, undefined);
  assert.equal(r1.requests[0].url, `/${kp.publicKey.z32}?policy=CacheFirst`);
  const requests = r1.requests.length + r2.requests.length;
  assert.equal(text(await pk.resolve(kp.publicKey.z32)), 'from dht');
  assert.equal(dht.gets.length, 1, 'a fresh cached packet needs no lookup');
  assert.equal(r1.requests.length + r2.requests.length, requests);
  await pk.close();
});

test('NetworkOnly: newest packet wins across DHT and relays, whatever the order of arrival', async () => {
  const kp = Keypair.random();
  const old = packet(kp, 'old', 1_000_000_000);
  const mid = packet(kp, 'mid', 2_000_000_000);
  const newest = packet(kp, 'new', 3_000_000_000);
  const dht = new MemoryDht();
  dht.add(dhtItem(old));
  dht.add(dhtItem(newest));
  dht.delayMs = 30;
  r1.packets.set(kp.publicKey.z32, mid);
  const pk = client(dht);
  const got = await pk.resolve(kp.publicKey, { policy: 'NetworkOnly' });
  assert.equal(text(got), 'new');
  assert.equal(r1.requests[0].url, `/${kp.publicKey.z32}?policy=NetworkOnly`);
  assert.equal(r1.requests[0].headers['cache-control'], 'no-cache, no-store, must-revalidate');
  // and the other way round: the relay holds the newest
  const kp2 = Keypair.random();
  dht.add(dhtItem(packet(kp2, 'dht', 5_000_000)));
  r2.packets.set(kp2.publicKey.z32, packet(kp2, 'relay', 6_000_000));
  assert.equal(text(await pk.resolve(kp2.publicKey, { policy: 'NetworkOnly' })), 'relay');
  // NetworkOnly ignores a fresh cached packet
  const before = dht.gets.length;
  await pk.resolve(kp2.publicKey, { policy: 'NetworkOnly' });
  assert.equal(dht.gets.length, before + 1);
  await pk.close();
});

test('CacheFirst completes on the first fresh answer; the DHT keeps refreshing the cache in the background', async () => {
  const kp = Keypair.random();
  const relayCopy = packet(kp, 'relay', 1_000_000_000);
  r1.packets.set(kp.publicKey.z32, relayCopy);
  const dht = new MemoryDht();
  dht.add(dhtItem(packet(kp, 'dht newer', 2_000_000_000)));
  dht.delayMs = 600;
  const pk = client(dht);
  const t0 = Date.now();
  assert.equal(text(await pk.resolve(kp.publicKey)), 'relay');
  assert.ok(Date.now() - t0 < 500, `took ${Date.now() - t0} ms`);
  assert.equal(text(pk.cache.peek(kp.publicKey.z32) ?? null), 'relay');
  await new Promise((r) => setTimeout(r, 900));
  assert.equal(text(pk.cache.peek(kp.publicKey.z32) ?? null), 'dht newer');
  await pk.close();
});

test('CacheFirst with an expired cached packet: floors sent to DHT (ts − 1 µs) and relays (ts − 1 s)', async () => {
  const kp = Keypair.random();
  const ts = 784111777500000;
  const cached = packet(kp, 'cached', ts, 30).withLastSeen(Date.now() * 1000 - 400_000_000);
  const dht = new MemoryDht();
  const pk = client(dht);
  pk.cache.put(kp.publicKey.z32, cached);
  // the network only has the same packet (or older): nothing newer ⇒ same packet refreshed
  dht.add(dhtItem(cached));
  dht.delayMs = 100;
  r1.packets.set(kp.publicKey.z32, packet(kp, 'older', ts - 5_000_000));
  const got = await pk.resolve(kp.publicKey);
  assert.equal(dht.gets[0].seq, ts - 1);
  assert.equal(r1.requests[0].headers['if-modified-since'], 'Sun, 06 Nov 1994 08:49:36 GMT');
  assert.equal(text(got), 'cached');
  assert.ok(!got!.isExpired(), 'the copy seen again on the DHT is fresh');
  assert.ok(pk.cache.peek(kp.publicKey.z32)!.lastSeen > cached.lastSeen, 'lastSeen was refreshed');
  await pk.close();
});

test('CacheFirst: a packet below the cached one is not found, and expired packets are never returned', async () => {
  const kp = Keypair.random();
  const pk = client(undefined, [r1.url]);
  const cached = packet(kp, 'cached', 2_000_000_000, 30).withLastSeen(Date.now() * 1000 - 400_000_000);
  pk.cache.put(kp.publicKey.z32, cached);
  r1.packets.set(kp.publicKey.z32, packet(kp, 'older', 1_000_000_000));
  assert.equal(await pk.resolve(kp.publicKey), null);
  assert.equal(pk.cache.peek(kp.publicKey.z32), cached);
  // a newer packet the relay last saw long ago is expired under our TTL: cached, not returned
  const stale = packet(kp, 'newer but stale', 3_000_000_000, 30).withLastSeen(Date.now() * 1000 - 3_600_000_000);
  r1.packets.set(kp.publicKey.z32, stale);
  assert.equal(await pk.resolve(kp.publicKey), null);
  assert.equal(text(pk.cache.peek(kp.publicKey.z32) ?? null), 'newer but stale');
  // CacheOnly hands back the cached packet even though it is expired
  assert.equal(text(await pk.resolve(kp.publicKey, { policy: 'CacheOnly' })), 'newer but stale');
  // NetworkOnly does not return it either
  assert.equal(await pk.resolve(kp.publicKey, { policy: 'NetworkOnly' }), null);
});

test('TTL clamping: a 30 s record stays fresh for the 300 s minimum', async () => {
  const kp = Keypair.random();
  const dht = new MemoryDht();
  const pk = client(dht, []);
  pk.cache.put(kp.publicKey.z32, packet(kp, 'short ttl', undefined, 30).withLastSeen(Date.now() * 1000 - 200_000_000));
  assert.equal(text(await pk.resolve(kp.publicKey)), 'short ttl');
  assert.equal(dht.gets.length, 0);
  const strict = new Pkarr({ relays: [], dht, minTtl: 0 });
  strict.cache.put(kp.publicKey.z32, packet(kp, 'short ttl', undefined, 30).withLastSeen(Date.now() * 1000 - 200_000_000));
  assert.equal(await strict.resolve(kp.publicKey), null);
  assert.equal(dht.gets.length, 1);
  await pk.close();
  await strict.close();
});

test("CacheOnly: the local cache, else the relays' caches; never the DHT", async () => {
  const kp = Keypair.random();
  const dht = new MemoryDht();
  dht.add(dhtItem(packet(kp, 'dht')));
  const pk = client(dht);
  assert.equal(await pk.resolve(kp.publicKey, { policy: 'CacheOnly' }), null);
  assert.equal(dht.gets.length, 0);
  assert.equal(r1.requests[0].url, `/${kp.publicKey.z32}?policy=CacheOnly`);
  r2.packets.set(kp.publicKey.z32, packet(kp, 'relay cache'));
  assert.equal(text(await pk.resolve(kp.publicKey, { policy: 'CacheOnly' })), 'relay cache');
  const dhtOnly = new Pkarr({ relays: [], dht });
  assert.equal(await dhtOnly.resolve(kp.publicKey, { policy: 'CacheOnly' }), null);
  assert.equal(dht.gets.length, 0);
});

test('a newer DHT item that is not a valid packet outranks older valid packets', async () => {
  const kp = Keypair.random();
  const valid = packet(kp, 'valid', 1_000_000);
  const garbage = new Uint8Array([1, 2, 3]);
  const { signable } = await import('../src/signed-packet.ts');
  const dht = new MemoryDht();
  dht.add(dhtItem(valid));
  dht.add({ key: kp.publicKey.bytes, seq: 2_000_000, value: garbage, signature: kp.sign(signable(2_000_000, garbage)) });
  // a forged item (bad signature) with an even higher seq is simply ignored
  dht.add({ key: kp.publicKey.bytes, seq: 9_000_000, value: garbage, signature: new Uint8Array(64) });
  const pk = new Pkarr({ relays: [], dht });
  const e = await rejects(pk.resolve(kp.publicKey, { policy: 'NetworkOnly' }));
  assert.equal(e.code, 'invalid_signed_packet');
  assert.equal((e as { seq?: number }).seq, 2_000_000);
  // once a newer valid packet exists, it wins
  dht.add(dhtItem(packet(kp, 'newest', 3_000_000)));
  assert.equal(text(await pk.resolve(kp.publicKey, { policy: 'NetworkOnly' })), 'newest');
});

test('failures: the most common error when nobody has a packet', async () => {
  const kp = Keypair.random();
  r1.override = (_req, res) => (res.writeHead(503).end('No DHT nodes were queried'), true);
  r2.override = (_req, res) => (res.writeHead(503).end('No DHT nodes were queried'), true);
  const dht = new MemoryDht();
  const pk = client(dht);
  assert.equal((await rejects(pk.resolve(kp.publicKey))).code, 'dht_unavailable');
  r1.override = null;
  r2.override = null;
  assert.equal(await pk.resolve(kp.publicKey), null, 'all empty ⇒ null');
  dht.failGet = new Error('socket closed');
  const pk2 = new Pkarr({ relays: [], dht });
  assert.equal((await rejects(pk2.resolve(kp.publicKey))).code, 'dht_error');
});

test('abort: a resolve stops when its signal fires', async () => {
  const kp = Keypair.random();
  r1.override = () => true; // never answers
  const pk = client(undefined, [r1.url]);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const t0 = Date.now();
  assert.equal((await rejects(pk.resolve(kp.publicKey, { signal: ac.signal }))).code, 'aborted');
  assert.ok(Date.now() - t0 < 500);
});

test('publish: DHT and relays at once, max stored count, cache updated', async () => {
  const kp = Keypair.random();
  const dht = new MemoryDht();
  dht.storedAt = 12;
  r2.storedNodes = '20';
  const pk = client(dht);
  const p = packet(kp, 'hello');
  assert.equal(await pk.publish(p), 20);
  assert.equal(dht.puts.length, 1);
  assert.equal(dht.puts[0].seq, p.timestamp);
  assert.equal(dht.puts[0].cas, undefined);
  assert.ok(r1.packets.get(kp.publicKey.z32)?.isSameAs(p));
  assert.ok(pk.cache.peek(kp.publicKey.z32)?.isSameAs(p));
  // a second client resolves it through a relay
  const other = client(undefined, [r1.url]);
  assert.ok((await other.resolve(kp.publicKey))?.isSameAs(p));
});

test('publish: refuses older than cached; cas goes to DHT and relays; conflicts are reported', async () => {
  const kp = Keypair.random();
  const dht = new MemoryDht();
  const pk = client(dht);
  const first = packet(kp, 'first', 1_000_000);
  await pk.publish(first);
  const older = packet(kp, 'older', 500_000);
  assert.equal((await rejects(pk.publish(older))).code, 'not_most_recent');
  const second = packet(kp, 'second', 2_000_000);
  assert.equal((await rejects(pk.publish(second, { cas: 999_999 }))).code, 'cas_failed', 'cache knows 1_000_000 > cas');
  const fresh = client(dht); // empty cache: the backends decide
  const e = await rejects(fresh.publish(second, { cas: 999_999 }));
  assert.equal(e.code, 'cas_failed');
  assert.equal(r1.requests.at(-1)?.headers['if-match'], '999999');
  assert.equal(dht.puts.at(-1)?.cas, 999_999);
  assert.ok((await fresh.publish(second, { cas: 1_000_000 })) > 0);
  // backends that hold a newer packet answer 409 / 302
  const stale = client(dht);
  assert.equal((await rejects(stale.publish(first))).code, 'not_most_recent');
  // one relay failing does not fail a publish others stored
  r1.override = (_req, res) => (res.writeHead(500).end(), true);
  assert.ok((await pk.publish(packet(kp, 'third', 3_000_000))) > 0);
});

test("resolveHomeserver and publishHomeserver keep the user's other records", async () => {
  const user = Keypair.random();
  const hs1 = Keypair.random().publicKey;
  const hs2 = Keypair.random().publicKey;
  const dht = new MemoryDht();
  const pk = client(dht);
  assert.equal(await pk.resolveHomeserver(user.publicKey), null);
  await pk.publish(SignedPacket.sign(user, [txtRecord('_keep', 'me', 3600)]));
  const p1 = await pk.publishHomeserver(user, hs1);
  assert.equal(p1.resourceRecords('_keep').length, 1);
  const reader = client(undefined, [r2.url]);
  assert.ok(((await reader.resolveHomeserver(user.publicKey)) as PublicKey).equals(hs1));
  await pk.publishHomeserver(user, hs2);
  assert.equal(r1.requests.filter((r) => r.method === 'PUT').at(-1)?.headers['if-match'], String(p1.timestamp));
  const fresh = client(dht, [r1.url]);
  assert.ok(((await fresh.resolveHomeserver(user.publicKey, { policy: 'NetworkOnly' })) as PublicKey).equals(hs2));
  const final = await fresh.resolve(user.publicKey, { policy: 'CacheOnly' });
  assert.equal(final?.resourceRecords('_keep').length, 1);
  assert.equal(final?.resourceRecords('_pubky').length, 1);
  await pk.close();
});

test('endpoints through the facade: _pubky → homeserver packet on a relay', async () => {
  const hs = Keypair.fromSecretKey(new Uint8Array(32));
  const user = Keypair.random();
  r1.packets.set(
    hs.publicKey.z32,
    SignedPacket.sign(hs, [
      { name: '@', ttl: 3600, type: 'HTTPS', priority: 1, target: '.', params: { port: 6287, ipv4hint: ['127.0.0.1'] } },
      {
        name: '@',
        ttl: 3600,
        type: 'HTTPS',
        priority: 10,
        target: 'localhost',
        params: { other: [{ key: 65280, value: Uint8Array.of(0x18, 0x8e) }] },
      },
      { name: '@', ttl: 3600, type: 'A', address: '127.0.0.1' },
    ]),
  );
  r1.packets.set(
    user.publicKey.z32,
    SignedPacket.sign(user, [{ name: '_pubky', ttl: 3600, type: 'HTTPS', priority: 0, target: hs.publicKey.z32, params: {} }]),
  );
  const pk = client(undefined, [r1.url]);
  const first = await pk.endpoint(`_pubky.${user.publicKey.z32}`);
  assert.equal(first?.port, 6287);
  const domains = [];
  for await (const e of pk.endpoints(`_pubky.${user.publicKey.z32}`)) domains.push([e.domain, e.httpPort]);
  assert.deepEqual(domains, [
    [null, null],
    ['localhost', 6286],
  ]);
  assert.equal(formatHttpDate(0).length, 29);
});
