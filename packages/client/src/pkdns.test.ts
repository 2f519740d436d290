import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { SignedPacket, type DnsRecord } from '@pubky-ts/pkarr';
import { MemoryPacketSource } from './memory-source.ts';
import { homeserverFromPacket, Pkdns } from './pkdns.ts';

const hsKey = Keypair.fromSecretKey(new Uint8Array(32));
const port = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

function hsPacket(records: DnsRecord[]): SignedPacket {
  return SignedPacket.sign(hsKey, records);
}

test('publishes the _pubky record, keeps other records, resolves through it, and skips fresh republishes', async () => {
  const source = new MemoryPacketSource();
  const user = Keypair.random();
  const keep: DnsRecord = { type: 'TXT', name: 'note', ttl: 300, strings: [new TextEncoder().encode('hello')] };
  const stale: DnsRecord = { type: 'HTTPS', name: '_pubky', ttl: 3600, priority: 0, target: Keypair.random().publicKey.z32, params: {} };
  await source.publish(SignedPacket.sign(user, [keep, stale], { timestamp: (Date.now() - 7_200_000) * 1000 }));
  const pkdns = new Pkdns(source);
  assert.equal(await pkdns.publishHomeserver(user, hsKey.publicKey), true);
  const packet = source.packets.get(user.publicKey.z32)!;
  assert.ok(homeserverFromPacket(packet)!.equals(hsKey.publicKey));
  assert.equal(packet.resourceRecords('_pubky').length, 1, 'the old _pubky record is replaced');
  assert.equal(packet.resourceRecords('note').length, 1, 'other records are kept');
  assert.equal(await pkdns.publishHomeserver(user, hsKey.publicKey, { ifOlderThanMs: 3_600_000 }), false, 'fresh record: no republish');
  const fresh = new Pkdns(source);
  assert.ok((await fresh.getHomeserverOf(user.publicKey))!.equals(hsKey.publicKey));
  assert.equal(await fresh.getHomeserverOf(Keypair.random().publicKey), null);
  await assert.rejects(fresh.requireHomeserverOf(Keypair.random().publicKey), {
    code: 'user_packet_not_found',
    name: 'PkarrResolutionError',
  });
  await assert.rejects(fresh.getEndpoint(hsKey.publicKey), { code: 'homeserver_packet_not_found' });
  await source.publish(hsPacket([{ type: 'A', name: '.', ttl: 60, address: '10.0.0.1' }]));
  await assert.rejects(fresh.getEndpoint(hsKey.publicKey), { code: 'no_usable_endpoint' });
});

test('caches pointers and endpoints; forget() drops them; failures become pkarr_unavailable', async () => {
  const source = new MemoryPacketSource();
  const user = Keypair.random();
  await source.publish(
    hsPacket([
      { type: 'HTTPS', name: '.', ttl: 3600, priority: 10, target: 'localhost', params: { other: [{ key: 65280, value: port(1234) }] } },
    ]),
  );
  const pkdns = new Pkdns(source);
  await pkdns.publishHomeserver(user, hsKey.publicKey);
  const before = source.resolves;
  for (let i = 0; i < 5; i++) {
    await pkdns.requireHomeserverOf(user.publicKey);
    await pkdns.getEndpoint(hsKey.publicKey);
  }
  assert.equal(source.resolves - before, 1, 'only the endpoint was resolved, once');
  pkdns.forget(hsKey.publicKey);
  await pkdns.getEndpoint(hsKey.publicKey);
  assert.equal(source.resolves - before, 2);
  const broken = new Pkdns({ resolve: async () => Promise.reject(new Error('relay down')), publish: async () => {} });
  await assert.rejects(broken.getHomeserverOf(user.publicKey), { code: 'pkarr_unavailable' });
});
