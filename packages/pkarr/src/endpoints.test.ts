import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, type PublicKey } from '@pubky-ts/common';
import { resolveEndpoints, type Endpoint } from './endpoints.ts';
import { SignedPacket } from './signed-packet.ts';
import type { DnsRecord } from './dns/types.ts';

function world(packets: SignedPacket[]) {
  const byKey = new Map(packets.map((p) => [p.publicKey.z32, p]));
  const asked: string[] = [];
  const resolve = async (key: PublicKey) => {
    asked.push(key.z32);
    return byKey.get(key.z32) ?? null;
  };
  return { resolve, asked };
}

async function all(gen: AsyncGenerator<Endpoint>): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

const hs = Keypair.fromSecretKey(new Uint8Array(32));
// the testnet homeserver's own packet (spec §3.2, §8.2)
const hsPacket = SignedPacket.sign(hs, [
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
]);

test("a user's _pubky record leads to the homeserver's endpoints, by priority", async () => {
  const user = Keypair.random();
  const userPacket = SignedPacket.sign(user, [
    { name: '_pubky', ttl: 3600, type: 'HTTPS', priority: 0, target: hs.publicKey.z32, params: {} },
  ]);
  const { resolve, asked } = world([userPacket, hsPacket]);
  const eps = await all(resolveEndpoints(resolve, `_pubky.${user.publicKey.z32}`));
  assert.deepEqual(asked, [user.publicKey.z32, hs.publicKey.z32]);
  assert.equal(eps.length, 2);
  assert.equal(eps[0].target, '.');
  assert.equal(eps[0].domain, null);
  assert.equal(eps[0].port, 6287);
  assert.deepEqual(eps[0].addresses, ['127.0.0.1']);
  assert.ok(eps[0].publicKey.equals(hs.publicKey));
  assert.equal(eps[1].domain, 'localhost');
  assert.equal(eps[1].httpPort, 6286);
  assert.equal(eps[1].port, null);
  assert.deepEqual(eps[1].addresses, []);
});

test('equal priorities come in random order, lower priorities first', async () => {
  const kp = Keypair.random();
  const records: DnsRecord[] = [
    { name: '@', ttl: 60, type: 'HTTPS', priority: 5, target: 'c.example', params: {} },
    { name: '@', ttl: 60, type: 'HTTPS', priority: 2, target: 'a.example', params: {} },
    { name: '@', ttl: 60, type: 'HTTPS', priority: 2, target: 'b.example', params: {} },
  ];
  const { resolve } = world([SignedPacket.sign(kp, records)]);
  const orders = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const eps = await all(resolveEndpoints(resolve, kp.publicKey.z32));
    assert.equal(eps[2].domain, 'c.example');
    orders.add(
      eps
        .slice(0, 2)
        .map((e) => e.domain)
        .join(','),
    );
  }
  assert.deepEqual([...orders].sort(), ['a.example,b.example', 'b.example,a.example']);
});

test('key targets are followed at most 7 resolutions deep; loops end', async () => {
  const chain = Array.from({ length: 9 }, () => Keypair.random());
  const packets = chain.map((kp, i) =>
    SignedPacket.sign(kp, [
      i + 1 < chain.length
        ? { name: '@', ttl: 60, type: 'HTTPS', priority: 1, target: chain[i + 1].publicKey.z32, params: {} }
        : { name: '@', ttl: 60, type: 'HTTPS', priority: 1, target: 'end.example', params: {} },
    ]),
  );
  const long = world(packets);
  assert.deepEqual(await all(resolveEndpoints(long.resolve, chain[0].publicKey.z32)), []);
  assert.equal(long.asked.length, 7);
  // starting 3 hops later the end (6 resolutions) is in reach
  const short = world(packets);
  const eps = await all(resolveEndpoints(short.resolve, chain[3].publicKey.z32));
  assert.deepEqual(
    eps.map((e) => e.domain),
    ['end.example'],
  );
  assert.equal(short.asked.length, 6);
  // A → B → A
  const a = Keypair.random();
  const b = Keypair.random();
  const loop = world([
    SignedPacket.sign(a, [{ name: '@', ttl: 60, type: 'HTTPS', priority: 1, target: b.publicKey.z32, params: {} }]),
    SignedPacket.sign(b, [{ name: '@', ttl: 60, type: 'HTTPS', priority: 1, target: a.publicKey.z32, params: {} }]),
  ]);
  assert.deepEqual(await all(resolveEndpoints(loop.resolve, a.publicKey.z32, { maxRecursionDepth: 3 })), []);
  assert.equal(loop.asked.length, 3);
});

test('a failed hop is skipped and the next record tried; SVCB and HTTPS are kept apart', async () => {
  const kp = Keypair.random();
  const missing = Keypair.random();
  const packet = SignedPacket.sign(kp, [
    { name: '_svc', ttl: 60, type: 'HTTPS', priority: 1, target: missing.publicKey.z32, params: {} },
    { name: '_svc', ttl: 60, type: 'HTTPS', priority: 2, target: 'fallback.example', params: { port: 8443 } },
    { name: '_svc', ttl: 60, type: 'SVCB', priority: 1, target: 'svcb.example', params: {} },
  ]);
  const { resolve } = world([packet]);
  const https = await all(resolveEndpoints(resolve, `_svc.${kp.publicKey.z32}`));
  assert.deepEqual(
    https.map((e) => [e.domain, e.port]),
    [['fallback.example', 8443]],
  );
  const svcb = await all(resolveEndpoints(resolve, `_svc.${kp.publicKey.z32}`, { svcb: true }));
  assert.deepEqual(
    svcb.map((e) => e.domain),
    ['svcb.example'],
  );
  assert.deepEqual(await all(resolveEndpoints(resolve, 'example.com')), [], 'a qname without a key resolves nothing');
  const throwing = async () => {
    throw new Error('network down');
  };
  assert.deepEqual(await all(resolveEndpoints(throwing, kp.publicKey.z32)), []);
});
