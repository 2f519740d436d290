import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, PubkyError } from '@pubky-ts/common';
import { homeserverOf, withHomeserver } from './pubky-record.ts';
import { SignedPacket } from './signed-packet.ts';
import { txtRecord } from './dns/txt.ts';

test('withHomeserver replaces _pubky and keeps the other records', () => {
  const user = Keypair.random();
  const hs1 = Keypair.random().publicKey;
  const hs2 = Keypair.random().publicKey;
  const first = withHomeserver(user, hs1, null);
  assert.ok(homeserverOf(first)?.equals(hs1));
  const r = first.resourceRecords('_pubky')[0];
  assert.deepEqual(r, { name: `_pubky.${user.publicKey.z32}`, ttl: 3600, class: 1, type: 'HTTPS', priority: 0, target: hs1.z32, params: {} });
  const mixed = SignedPacket.sign(user, [...first.records, txtRecord('_other', 'keep me', 60), { name: '@', ttl: 60, type: 'A', address: '10.0.0.1' }], {
    timestamp: first.timestamp + 10,
  });
  const second = withHomeserver(user, hs2, mixed);
  assert.ok(homeserverOf(second)?.equals(hs2));
  assert.equal(second.resourceRecords('_pubky').length, 1);
  assert.equal(second.resourceRecords('_other').length, 1);
  assert.equal(second.resourceRecords('@').length, 1);
  assert.ok(second.moreRecentThan(mixed));
  // a previous packet stamped in the future is still superseded
  const future = SignedPacket.sign(user, [], { timestamp: Date.now() * 1000 + 3_600_000_000 });
  assert.ok(withHomeserver(user, hs1, future).timestamp > future.timestamp);
  assert.throws(() => withHomeserver(user, hs1, SignedPacket.sign(Keypair.random(), [])), (e: unknown) => e instanceof PubkyError && e.code === 'key_mismatch');
});

test('homeserverOf: first SVCB/HTTPS at _pubky; null when none or not a key', () => {
  const user = Keypair.random();
  const hs = Keypair.random().publicKey;
  assert.equal(homeserverOf(SignedPacket.sign(user, [txtRecord('_pubky', 'x', 60)])), null);
  assert.equal(homeserverOf(SignedPacket.sign(user, [{ name: '_pubky', ttl: 60, type: 'HTTPS', priority: 0, target: 'example.com', params: {} }])), null);
  const svcb = SignedPacket.sign(user, [{ name: '_pubky', ttl: 60, type: 'SVCB', priority: 0, target: hs.z32, params: {} }]);
  assert.ok(homeserverOf(svcb)?.equals(hs));
});
