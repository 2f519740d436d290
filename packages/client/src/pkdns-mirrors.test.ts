import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { withHomeserver, withMirrors } from '@pubky-ts/pkarr';
import { MemoryPacketSource } from './memory-source.ts';
import { Pkdns } from './pkdns.ts';

test('Pkdns.getMirrorsOf: the mirrors of the packet in order, cached like the homeserver pointer, forgotten with it', async () => {
  const source = new MemoryPacketSource();
  let now = 1_000_000;
  const pkdns = new Pkdns(source, { cacheTtlMs: 60_000, now: () => now });
  const alice = Keypair.random();
  const [hs, m1, m2] = [Keypair.random(), Keypair.random(), Keypair.random()].map((k) => k.publicKey);
  assert.deepEqual(await pkdns.getMirrorsOf(alice.publicKey), [], 'no packet: no mirrors');
  await source.publish(withMirrors(alice, [m2, m1], withHomeserver(alice, hs, null)));
  now += 60_001;
  assert.deepEqual(
    (await pkdns.getMirrorsOf(alice.publicKey)).map((k) => k.z32),
    [m2.z32, m1.z32],
  );
  const resolves = source.resolves;
  await pkdns.getMirrorsOf(alice.publicKey);
  assert.equal(source.resolves, resolves, 'the second call is answered from the cache');
  // the record changes: seen after the TTL, or at once after forget()
  const latest = source.packets.get(alice.publicKey.z32)!;
  await source.publish(withMirrors(alice, [m1], latest));
  assert.equal((await pkdns.getMirrorsOf(alice.publicKey)).length, 2);
  pkdns.forget(alice.publicKey);
  assert.deepEqual(
    (await pkdns.getMirrorsOf(alice.publicKey)).map((k) => k.z32),
    [m1.z32],
  );
  // a homeserver move keeps the mirrors
  await source.publish(withHomeserver(alice, m2, source.packets.get(alice.publicKey.z32)!));
  now += 60_001;
  assert.equal((await pkdns.getHomeserverOf(alice.publicKey))?.z32, m2.z32);
  assert.deepEqual(
    (await pkdns.getMirrorsOf(alice.publicKey)).map((k) => k.z32),
    [m1.z32],
  );
});
