import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, PubkyError } from '@pubky-ts/common';
import { homeserverOf, mirrorsOf, withHomeserver, withMirrors } from './pubky-record.ts';
import { SignedPacket } from './signed-packet.ts';
import { txtRecord } from './dns/txt.ts';

test('withHomeserver replaces _pubky and keeps the other records', () => {
  const user = Keypair.random();
  const hs1 = Keypair.random().publicKey;
  const hs2 = Keypair.random().publicKey;
  const first = withHomeserver(user, hs1, null);
  assert.ok(homeserverOf(first)?.equals(hs1));
  const r = first.resourceRecords('_pubky')[0];
  assert.deepEqual(r, {
    name: `_pubky.${user.publicKey.z32}`,
    ttl: 3600,
    class: 1,
    type: 'HTTPS',
    priority: 0,
    target: hs1.z32,
    params: {},
  });
  const mixed = SignedPacket.sign(
    user,
    [...first.records, txtRecord('_other', 'keep me', 60), { name: '@', ttl: 60, type: 'A', address: '10.0.0.1' }],
    {
      timestamp: first.timestamp + 10,
    },
  );
  const second = withHomeserver(user, hs2, mixed);
  assert.ok(homeserverOf(second)?.equals(hs2));
  assert.equal(second.resourceRecords('_pubky').length, 1);
  assert.equal(second.resourceRecords('_other').length, 1);
  assert.equal(second.resourceRecords('@').length, 1);
  assert.ok(second.moreRecentThan(mixed));
  // a previous packet stamped in the future is still superseded
  const future = SignedPacket.sign(user, [], { timestamp: Date.now() * 1000 + 3_600_000_000 });
  assert.ok(withHomeserver(user, hs1, future).timestamp > future.timestamp);
  assert.throws(
    () => withHomeserver(user, hs1, SignedPacket.sign(Keypair.random(), [])),
    (e: unknown) => e instanceof PubkyError && e.code === 'key_mismatch',
  );
});

test('homeserverOf: first SVCB/HTTPS at _pubky; null when none or not a key', () => {
  const user = Keypair.random();
  const hs = Keypair.random().publicKey;
  assert.equal(homeserverOf(SignedPacket.sign(user, [txtRecord('_pubky', 'x', 60)])), null);
  assert.equal(
    homeserverOf(SignedPacket.sign(user, [{ name: '_pubky', ttl: 60, type: 'HTTPS', priority: 0, target: 'example.com', params: {} }])),
    null,
  );
  const svcb = SignedPacket.sign(user, [{ name: '_pubky', ttl: 60, type: 'SVCB', priority: 0, target: hs.z32, params: {} }]);
  assert.ok(homeserverOf(svcb)?.equals(hs));
});

/** The packet as a resolver sees it: its bytes decoded again. */
function roundTrip(packet: SignedPacket): SignedPacket {
  return SignedPacket.fromBytes(packet.bytes);
}

test('withMirrors: primary first at priority 0, mirrors after it at 1..n; mirrorsOf reads them back after encode/decode', () => {
  const user = Keypair.random();
  const primary = Keypair.random().publicKey;
  const [m1, m2, m3] = [Keypair.random().publicKey, Keypair.random().publicKey, Keypair.random().publicKey];
  const base = SignedPacket.sign(user, [txtRecord('_other', 'keep me', 60), ...withHomeserver(user, primary, null).records]);
  const packet = roundTrip(withMirrors(user, [m2, m1, m2], base));
  assert.ok(homeserverOf(packet)?.equals(primary));
  assert.deepEqual(
    mirrorsOf(packet).map((k) => k.z32),
    [m2.z32, m1.z32],
    'in the given order, repeats dropped',
  );
  const pubky = packet.resourceRecords('_pubky');
  assert.deepEqual(
    pubky.map((r) => (r.type === 'HTTPS' ? [r.priority, r.target, Object.keys(r.params).length] : r.type)),
    [
      [0, primary.z32, 0],
      [1, m2.z32, 0],
      [2, m1.z32, 0],
    ],
  );
  assert.equal(packet.resourceRecords('_other').length, 1, 'other records are kept');
  assert.ok(packet.moreRecentThan(base));

  // replacing the list: m3 only
  const replaced = roundTrip(withMirrors(user, [m3], packet));
  assert.deepEqual(
    mirrorsOf(replaced).map((k) => k.z32),
    [m3.z32],
  );
  assert.ok(homeserverOf(replaced)?.equals(primary));
  // an empty list removes every mirror and keeps the primary
  const none = roundTrip(withMirrors(user, [], replaced));
  assert.deepEqual(mirrorsOf(none), []);
  assert.equal(none.resourceRecords('_pubky').length, 1);
  assert.ok(homeserverOf(none)?.equals(primary));
  assert.equal(none.resourceRecords('_other').length, 1);
});

test('withMirrors refuses a packet without a primary, a mirror that is the primary, and another key', () => {
  const user = Keypair.random();
  const primary = Keypair.random().publicKey;
  const m = Keypair.random().publicKey;
  const isInvalid = (e: unknown) => e instanceof PubkyError && e.code === 'dns_invalid_record';
  assert.throws(() => withMirrors(user, [m], null), isInvalid);
  assert.throws(() => withMirrors(user, [m], SignedPacket.sign(user, [txtRecord('_other', 'x', 60)])), isInvalid);
  const base = withHomeserver(user, primary, null);
  assert.throws(
    () => withMirrors(user, [m, primary], base),
    (e: unknown) => isInvalid(e) && /primary/.test((e as Error).message),
  );
  assert.throws(
    () => withMirrors(Keypair.random(), [m], base),
    (e: unknown) => e instanceof PubkyError && e.code === 'key_mismatch',
  );
});

test('withHomeserver keeps the mirrors of the previous packet, except one that becomes the primary', () => {
  const user = Keypair.random();
  const [hs1, hs2, m1, m2] = [Keypair.random(), Keypair.random(), Keypair.random(), Keypair.random()].map((k) => k.publicKey);
  const mirrored = roundTrip(withMirrors(user, [m1, m2], withHomeserver(user, hs1, null)));
  const moved = roundTrip(withHomeserver(user, hs2, mirrored));
  assert.ok(homeserverOf(moved)?.equals(hs2));
  assert.deepEqual(
    mirrorsOf(moved).map((k) => k.z32),
    [m1.z32, m2.z32],
  );
  // promoting a mirror: it leaves the mirror list and the rest is renumbered from 1
  const promoted = roundTrip(withHomeserver(user, m1, moved));
  assert.ok(homeserverOf(promoted)?.equals(m1));
  assert.deepEqual(
    mirrorsOf(promoted).map((k) => k.z32),
    [m2.z32],
  );
  const records = promoted.resourceRecords('_pubky');
  assert.deepEqual(
    records.map((r) => (r.type === 'HTTPS' ? [r.priority, r.target] : null)),
    [
      [0, m1.z32],
      [1, m2.z32],
    ],
  );
});

test('mirrorsOf: by ascending priority, only key targets with priority >= 1, never the primary, no repeats', () => {
  const user = Keypair.random();
  const [primary, a, b, c] = [Keypair.random(), Keypair.random(), Keypair.random(), Keypair.random()].map((k) => k.publicKey);
  const rec = (priority: number, target: string, type: 'HTTPS' | 'SVCB' = 'HTTPS') =>
    ({ name: '_pubky', ttl: 60, type, priority, target, params: {} }) as const;
  const packet = roundTrip(
    SignedPacket.sign(user, [
      rec(0, primary.z32),
      rec(5, c.z32),
      rec(2, a.z32, 'SVCB'),
      rec(0, b.z32), // AliasMode after the primary: not a mirror
      rec(3, 'example.com'), // not a key
      rec(4, primary.z32), // the primary again
      rec(7, a.z32), // a repeat
      rec(3, b.z32),
      txtRecord('_pubky', 'not a service record', 60),
    ]),
  );
  assert.deepEqual(
    mirrorsOf(packet).map((k) => k.z32),
    [a.z32, b.z32, c.z32],
  );
  assert.deepEqual(mirrorsOf(SignedPacket.sign(user, [])), []);
  assert.deepEqual(mirrorsOf(withHomeserver(user, primary, null)), []);
});
