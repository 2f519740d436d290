import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Keypair, PubkyError } from '@pubky-ts/common';
import { startPkarrRelay, type PkarrRelayHandle, type PkarrRelayOptions } from '../src/pkarr-relay.ts';
import { formatHttpDate } from '@pubky-ts/pkarr';
import { makePacket, MemoryDht, type TestPacket } from './helpers.ts';

async function withRelay(opts: PkarrRelayOptions, fn: (r: PkarrRelayHandle) => Promise<void>): Promise<void> {
  const relay = await startPkarrRelay(opts);
  try {
    await fn(relay);
  } finally {
    await relay.close();
  }
}

interface Res {
  status: number;
  body: Buffer;
  text: string;
  headers: Headers;
}

async function http(url: string, init?: RequestInit): Promise<Res> {
  const r = await fetch(url, init);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, body, text: body.toString('utf8'), headers: r.headers };
}

const put = (r: PkarrRelayHandle, key: string, body: Uint8Array, headers?: Record<string, string>) =>
  http(`${r.url}/${key}`, { method: 'PUT', body: Buffer.from(body), headers });
const get = (r: PkarrRelayHandle, key: string, query = '', headers?: Record<string, string>) =>
  http(`${r.url}/${key}${query}`, { headers });

test('GET / is a status page; unknown methods are 405', () =>
  withRelay({}, async (r) => {
    const res = await http(`${r.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.match(res.text, /Pkarr relay/);
    assert.equal((await http(`${r.url}/x`, { method: 'DELETE' })).status, 405);
  }));

test('PUT then GET: 204 with stored nodes, 200 with the pkarr headers and the payload', () => {
  const dht = new MemoryDht();
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    const p = makePacket(kp);
    const res = await put(r, kp.publicKey.z32, p.payload);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.headers.get('pkarr-dht-stored-nodes'), '3');
    assert.equal(dht.puts, 1);
    const g = await get(r, kp.publicKey.z32);
    assert.equal(g.status, 200);
    assert.deepEqual(new Uint8Array(g.body), p.payload);
    assert.equal(g.headers.get('content-type'), 'application/pkarr.org/relays#payload');
    assert.equal(g.headers.get('cache-control'), 'public, max-age=3600');
    assert.equal(g.headers.get('last-modified'), formatHttpDate(p.timestamp));
    assert.ok(g.headers.get('memento-datetime'));
    assert.equal(g.headers.get('etag'), `"${p.timestamp}"`);
    assert.equal(g.headers.get('access-control-allow-origin'), '*');
    assert.match(g.headers.get('access-control-expose-headers')!, /Pkarr-Invalid-Signed-Packet-Seq/);
    assert.match(g.headers.get('access-control-expose-headers')!, /Pkarr-Dht-Stored-Nodes/);
    assert.equal(dht.gets, 0, 'a fresh cached packet is served without the DHT');
    // Lenient key forms (spec §1.2) reach the same packet.
    assert.equal((await get(r, `pk:${kp.publicKey.z32}`)).status, 200);
  });
});

test('keys: invalid ⇒ 400 with a reason, extra path segments ⇒ 404', () =>
  withRelay({ dht: new MemoryDht() }, async (r) => {
    const g = await get(r, 'notakey');
    assert.equal(g.status, 400);
    assert.match(g.text, /Invalid public key/);
    const invalidPoint = await get(r, 'c1bkg8tfsyy8wcedtmw4fwhdmm7bbzhgg3z58tf43m5ow8w9mbus');
    assert.equal(invalidPoint.status, 400);
    assert.equal((await put(r, 'notakey', new Uint8Array(100))).status, 400);
    assert.equal((await get(r, '%zz')).status, 400);
    const kp = Keypair.random();
    assert.equal((await get(r, `${kp.publicKey.z32}/extra`)).status, 404);
  }));

test('policy: unknown ⇒ 400; CacheOnly miss ⇒ 404 at once without touching the DHT', () => {
  const dht = new MemoryDht();
  dht.delayMs = 2000;
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    const bad = await get(r, kp.publicKey.z32, '?policy=Whatever');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Invalid policy/);
    const t0 = Date.now();
    assert.equal((await get(r, kp.publicKey.z32, '?policy=CacheOnly')).status, 404);
    assert.ok(Date.now() - t0 < 500);
    assert.equal(dht.gets, 0);
  });
});

test('CacheFirst miss: DHT empty ⇒ 404; DHT has it ⇒ 200 and cached', () => {
  const dht = new MemoryDht();
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    assert.equal((await get(r, kp.publicKey.z32)).status, 404);
    assert.equal(dht.gets, 1);
    const p = makePacket(kp);
    await dht.putMutable(p.item);
    const g = await get(r, kp.publicKey.z32);
    assert.equal(g.status, 200);
    assert.deepEqual(new Uint8Array(g.body), p.payload);
    assert.equal((await get(r, kp.publicKey.z32, '?policy=CacheOnly')).status, 200);
    assert.equal(dht.gets, 2);
  });
});

test('relay without DHT: unknown key ⇒ 404, PUT ⇒ 204 with 0 stored nodes', () =>
  withRelay({}, async (r) => {
    const kp = Keypair.random();
    assert.equal((await get(r, kp.publicKey.z32)).status, 404);
    const res = await put(r, kp.publicKey.z32, makePacket(kp).payload);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('pkarr-dht-stored-nodes'), '0');
  }));

test('If-Modified-Since: second precision per spec §10.9/§11.6', () =>
  withRelay({}, async (r) => {
    const kp = Keypair.random();
    const half = makePacket(kp, { timestamp: 784111777500000 });
    assert.equal((await put(r, kp.publicKey.z32, half.payload)).status, 204);
    // IMS = ts − 1 µs formats to the same second (:37) ⇒ 784111777000000 < ts ⇒ 200.
    const ims1 = formatHttpDate(half.timestamp - 1);
    assert.equal(ims1, 'Sun, 06 Nov 1994 08:49:37 GMT');
    assert.equal((await get(r, kp.publicKey.z32, '', { 'if-modified-since': ims1 })).status, 200);
    // Client lower bound (ts − 1 s) ⇒ :36 ⇒ 200.
    assert.equal((await get(r, kp.publicKey.z32, '', { 'if-modified-since': formatHttpDate(half.timestamp - 1_000_000) })).status, 200);
    const later = await get(r, kp.publicKey.z32, '', { 'if-modified-since': 'Sun, 06 Nov 1994 08:49:38 GMT' });
    assert.equal(later.status, 304);
    assert.equal(later.body.length, 0);
    assert.equal(later.headers.get('last-modified'), 'Sun, 06 Nov 1994 08:49:37 GMT');
    // Garbage IMS is ignored.
    assert.equal((await get(r, kp.publicKey.z32, '', { 'if-modified-since': 'tomorrow' })).status, 200);

    const kp2 = Keypair.random();
    const whole = makePacket(kp2, { timestamp: 784111777000000 });
    await put(r, kp2.publicKey.z32, whole.payload);
    assert.equal((await get(r, kp2.publicKey.z32, '', { 'if-modified-since': 'Sun, 06 Nov 1994 08:49:37 GMT' })).status, 304);
  }));

test('PUT conflicts: older than cached ⇒ 409; same packet again ⇒ 204', () =>
  withRelay({ dht: new MemoryDht() }, async (r) => {
    const kp = Keypair.random();
    const older = makePacket(kp);
    const newer = makePacket(kp);
    assert.equal((await put(r, kp.publicKey.z32, newer.payload)).status, 204);
    const c = await put(r, kp.publicKey.z32, older.payload);
    assert.equal(c.status, 409);
    assert.match(c.text, /more recent/);
    assert.equal((await put(r, kp.publicKey.z32, newer.payload)).status, 204, 'republishing the same packet is allowed');
    assert.deepEqual(new Uint8Array((await get(r, kp.publicKey.z32)).body), newer.payload);
  }));

test('If-Match compare-and-swap: µs or HTTP-date of the cached packet, else 412', () => {
  const dht = new MemoryDht();
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    const z = kp.publicKey.z32;
    const p1 = makePacket(kp);
    assert.equal((await put(r, z, p1.payload, { 'if-match': String(p1.timestamp) })).status, 412, 'nothing cached yet');
    assert.equal((await put(r, z, p1.payload, { 'if-match': '*' })).status, 412);
    assert.equal((await put(r, z, p1.payload)).status, 204);
    const p2 = makePacket(kp);
    const wrong = await put(r, z, p2.payload, { 'if-match': String(p1.timestamp - 1) });
    assert.equal(wrong.status, 412);
    assert.match(wrong.text, new RegExp(String(p1.timestamp)));
    assert.equal((await put(r, z, p2.payload, { 'if-match': 'not a date' })).status, 400);
    assert.equal((await put(r, z, p2.payload, { 'if-match': `"${p1.timestamp}"` })).status, 204);
    const p3 = makePacket(kp);
    assert.equal((await put(r, z, p3.payload, { 'if-match': formatHttpDate(p2.timestamp) })).status, 204);
    const p4 = makePacket(kp);
    assert.equal((await put(r, z, p4.payload, { 'if-match': '*' })).status, 204);
    // The DHT's own CAS failing (it holds another seq) also answers 412.
    const p5 = makePacket(kp);
    dht.items.set(Buffer.from(kp.publicKey.bytes).toString('hex'), { ...makePacket(kp).item });
    assert.equal((await put(r, z, p5.payload, { 'if-match': String(p4.timestamp) })).status, 412);
    assert.deepEqual(new Uint8Array((await get(r, z, '?policy=CacheOnly')).body), p4.payload);
  });
});

function rawPut(
  url: string,
  headers: Record<string, string | number>,
  chunks: Buffer[],
  end: boolean,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    if (end) req.end();
    else setTimeout(() => req.destroy(), 3000).unref();
  });
}

test('413: by Content-Length before reading, and while streaming a chunked body', () =>
  withRelay({}, async (r) => {
    const kp = Keypair.random();
    const url = `${r.url}/${kp.publicKey.z32}`;
    const t0 = Date.now();
    const early = await rawPut(url, { 'content-length': 5000 }, [Buffer.alloc(10)], false);
    assert.equal(early.status, 413);
    assert.ok(Date.now() - t0 < 1000, 'answered without waiting for the body');
    const streamed = await rawPut(url, { 'transfer-encoding': 'chunked' }, [Buffer.alloc(600), Buffer.alloc(600)], true);
    assert.equal(streamed.status, 413);
    const fetched = await put(r, kp.publicKey.z32, new Uint8Array(1105));
    assert.equal(fetched.status, 413);
    // 1073…1104 bytes fit the body limit but not a payload ⇒ 400.
    const between = await put(r, kp.publicKey.z32, new Uint8Array(1104));
    assert.equal(between.status, 400);
    assert.match(between.text, /at most 1072 bytes/);
    assert.equal((await get(r, kp.publicKey.z32, '?policy=CacheOnly')).status, 404);
  }));

test('hostile PUT bodies: precise 400s and nothing poisoned in the cache', () =>
  withRelay({ dht: new MemoryDht() }, async (r) => {
    const kp = Keypair.random();
    const z = kp.publicKey.z32;
    const good = makePacket(kp);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['empty', new Uint8Array(0), /at least 72/],
      ['truncated header', good.payload.subarray(0, 50), /at least 72/],
      ['truncated dns', good.payload.subarray(0, good.payload.length - 3), /does not verify/],
      ['wrong key', makePacket(Keypair.random()).payload, /does not verify/],
      ['signed garbage dns', makePacket(kp, { dns: Uint8Array.from([0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 97]) }).payload, /\(dns_/],
    ];
    for (let i = 0; i < 30; i++) cases.push([`random ${i}`, randomBytes(1 + Math.floor(Math.random() * 1072)), /Invalid signed packet/]);
    for (let i = 0; i < 40; i++) {
      const m = Uint8Array.from(good.payload);
      const at = Math.floor(Math.random() * m.length);
      m[at] ^= 1 + Math.floor(Math.random() * 255);
      cases.push([`mutated byte ${at}`, m, /Invalid signed packet/]);
    }
    for (const [name, body, re] of cases) {
      const res = await put(r, z, body);
      assert.equal(res.status, 400, name);
      assert.match(res.text, re, name);
      assert.match(
        res.text,
        /^Invalid signed packet \((invalid_signed_packet_length|packet_too_large|invalid_signature|timestamp_out_of_range|dns_\w+)\): /,
        name,
      );
    }
    assert.equal((await get(r, z, '?policy=CacheOnly')).status, 404);
    assert.equal(r.cache.storedCount, 0);
    // The server is still healthy.
    assert.equal((await put(r, z, good.payload)).status, 204);
  }));

test('hostile paths and headers never cause a 500', () =>
  withRelay({ dht: new MemoryDht() }, async (r) => {
    const paths = [
      '/%',
      '/%00',
      '/' + 'a'.repeat(5000),
      '/pk:',
      '/..',
      '/?policy',
      '/x?policy=CacheOnly&policy=Bad',
      '/' + encodeURIComponent('https://foo@bar.x:1/p?q#f'),
    ];
    for (let i = 0; i < 20; i++) paths.push('/' + randomBytes(20).toString('base64url'));
    for (const p of paths) {
      const res = await http(`${r.url}${p}`);
      assert.ok(res.status < 500 && res.status >= 200, `${p} ⇒ ${res.status}`);
    }
    const kp = Keypair.random();
    await put(r, kp.publicKey.z32, makePacket(kp).payload);
    for (const ims of ['', ' ', 'Sun, 99 Nov 1994 08:49:37 GMT', 'x'.repeat(2000)]) {
      assert.equal((await get(r, kp.publicKey.z32, '', { 'if-modified-since': ims })).status, 200);
    }
  }));

test('429 with Retry-After when the per-IP bucket is empty', () =>
  withRelay({ rateLimit: { quota: { rate: 1, burst: 2 } } }, async (r) => {
    const kp = Keypair.random();
    assert.equal((await get(r, kp.publicKey.z32)).status, 404);
    assert.equal((await get(r, kp.publicKey.z32)).status, 404);
    const limited = await get(r, kp.publicKey.z32);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
  }).then(() =>
    withRelay({ dht: new MemoryDht(), rateLimit: { userDhtQuota: { rate: 0.1, burst: 1 } } }, async (r) => {
      const kp = Keypair.random();
      assert.equal((await get(r, kp.publicKey.z32)).status, 404); // DHT work
      const limited = await put(r, kp.publicKey.z32, makePacket(kp).payload);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '10');
      assert.equal((await get(r, kp.publicKey.z32, '?policy=CacheOnly')).status, 404, 'cache-only reads are not DHT work');
    }),
  ));

test('DHT put failures map to 409 and 500', () => {
  const dht = new MemoryDht();
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    dht.putError = new PubkyError('not_most_recent', 'majority 302');
    assert.equal((await put(r, kp.publicKey.z32, makePacket(kp).payload)).status, 409);
    dht.putError = new PubkyError('timeout', 'no ack');
    const t = await put(r, kp.publicKey.z32, makePacket(kp).payload);
    assert.equal(t.status, 500);
    assert.match(t.text, /DHT publish failed/);
    assert.equal((await get(r, kp.publicKey.z32, '?policy=CacheOnly')).status, 404, 'failed publishes are not cached');
  });
});

test('DHT lookups: invalid newest item ⇒ 404 + Pkarr-Invalid-Signed-Packet-Seq; unreachable DHT ⇒ 503', () => {
  const dht = new MemoryDht();
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    const valid = makePacket(kp);
    await dht.putMutable(valid.item);
    const garbage = { ...makePacket(kp).item, value: new Uint8Array([1, 2, 3]) };
    dht.extra = [garbage];
    const g = await get(r, kp.publicKey.z32, '?policy=NetworkOnly');
    assert.equal(g.status, 404);
    assert.equal(g.headers.get('pkarr-invalid-signed-packet-seq'), String(garbage.seq));
    dht.extra = [];
    dht.getError = new PubkyError('no_nodes_queried', 'empty routing table');
    const u = await get(r, Keypair.random().publicKey.z32);
    assert.equal(u.status, 503);
    assert.equal(u.text, 'No DHT nodes were queried');
  });
});

test('NetworkOnly returns the newest DHT packet; an expired cache the DHT lost ⇒ 404', () => {
  const dht = new MemoryDht();
  return withRelay({ dht, minimumTtl: 0, maximumTtl: 0 }, async (r) => {
    const kp = Keypair.random();
    const z = kp.publicKey.z32;
    const p1 = makePacket(kp);
    assert.equal((await put(r, z, p1.payload)).status, 204);
    const p2 = makePacket(kp);
    await dht.putMutable(p2.item);
    const n = await get(r, z, '?policy=NetworkOnly');
    assert.equal(n.status, 200);
    assert.deepEqual(new Uint8Array(n.body), p2.payload);
    assert.equal(n.headers.get('cache-control'), 'public, max-age=0');
    // The DHT forgets it; the cached packet (TTL 0) is expired ⇒ CacheFirst answers 404.
    dht.items.clear();
    assert.equal((await get(r, z)).status, 404);
    assert.equal((await get(r, z, '?policy=CacheOnly')).status, 200, 'CacheOnly still serves expired packets');
  });
});

test('concurrent CacheFirst misses share one DHT lookup', () => {
  const dht = new MemoryDht();
  dht.delayMs = 100;
  return withRelay({ dht }, async (r) => {
    const kp = Keypair.random();
    const p: TestPacket = makePacket(kp);
    await dht.putMutable(p.item);
    dht.puts = 0;
    const results = await Promise.all(Array.from({ length: 5 }, () => get(r, kp.publicKey.z32)));
    for (const res of results) assert.equal(res.status, 200);
    assert.equal(dht.gets, 1);
  });
});

test('the cache survives a restart on the same directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkarr-relay-'));
  try {
    const kp = Keypair.random();
    const p = makePacket(kp);
    let memento: string | null = null;
    await withRelay({ cacheDir: dir }, async (r) => {
      assert.equal((await put(r, kp.publicKey.z32, p.payload)).status, 204);
      memento = (await get(r, kp.publicKey.z32)).headers.get('memento-datetime');
    });
    await withRelay({ cacheDir: dir }, async (r) => {
      const g = await get(r, kp.publicKey.z32, '?policy=CacheOnly');
      assert.equal(g.status, 200);
      assert.deepEqual(new Uint8Array(g.body), p.payload);
      assert.equal(g.headers.get('memento-datetime'), memento);
      assert.equal(r.cache.storedCount, 1);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache size bound evicts the least recently stored packets', () =>
  withRelay({ cacheSize: 3, memoryCacheSize: 2 }, async (r) => {
    const keys = Array.from({ length: 5 }, () => Keypair.random());
    for (const kp of keys) {
      assert.equal((await put(r, kp.publicKey.z32, makePacket(kp).payload)).status, 204);
      await new Promise((res) => setTimeout(res, 3));
    }
    assert.ok(r.cache.storedCount <= 3);
    assert.equal((await get(r, keys[0].publicKey.z32, '?policy=CacheOnly')).status, 404);
    assert.equal((await get(r, keys[4].publicKey.z32, '?policy=CacheOnly')).status, 200);
  }));
