import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, PubkyError, PublicKey, bytesToHex, hexToBytes, utf8Decode } from '@pubky-ts/common';
import { MAX_DNS_BYTES, SignedPacket, signable } from './signed-packet.ts';
import { normalizeName } from './names.ts';
import { txtRecord } from './dns/txt.ts';
import type { DnsRecord } from './dns/types.ts';

const ZERO = Keypair.fromSecretKey(new Uint8Array(32));
const ZERO_Z32 = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';
const DNS_11_4 =
  '000080000000000200000000065f7075626b79343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f000041000100000e1000380000343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f00c0130001000100000e1000047f000001';
const SIG_11_4 =
  '16078b2f9b79870b730616fdb1b926008bca8ce381648099d4ca51e1dabd9da7d5af8455366acb9b52dfe63db7a3a5712476cb19a0f19a52ca531ae69b348509';
const TS_11_4 = 1700000000000000;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PubkyError, `expected a PubkyError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected an error');
}

test('§11.4: building the vector reproduces DNS bytes and signature exactly', () => {
  assert.equal(ZERO.publicKey.z32, ZERO_Z32);
  const p = SignedPacket.sign(
    ZERO,
    [
      { name: '_pubky', ttl: 3600, type: 'HTTPS', priority: 0, target: ZERO_Z32, params: {} },
      { name: '@', ttl: 3600, type: 'A', address: '127.0.0.1' },
    ],
    { timestamp: TS_11_4 },
  );
  assert.equal(bytesToHex(p.dnsBytes), DNS_11_4);
  assert.equal(bytesToHex(p.signature), SIG_11_4);
  assert.equal(p.bytes.length, 259);
  assert.equal(bytesToHex(p.bytes.subarray(96, 104)), '00060a24181e4000');
  assert.equal(p.toRelayPayload().length, 227);
  assert.equal(utf8Decode(signable(TS_11_4, new Uint8Array(0))), '3:seqi1700000000000000e1:v0:');
});

test('§11.4: decoding the canonical vector verifies and reads every field', () => {
  const canonical = hexToBytes(bytesToHex(ZERO.publicKey.bytes) + SIG_11_4 + '00060a24181e4000' + DNS_11_4);
  const p = SignedPacket.fromBytes(canonical);
  assert.equal(p.publicKey.z32, ZERO_Z32);
  assert.equal(p.timestamp, TS_11_4);
  assert.equal(bytesToHex(p.signature), SIG_11_4);
  assert.equal(bytesToHex(p.dnsBytes), DNS_11_4);
  assert.deepEqual(p.resourceRecords('_pubky'), [
    { name: `_pubky.${ZERO_Z32}`, ttl: 3600, class: 1, type: 'HTTPS', priority: 0, target: ZERO_Z32, params: {} },
  ]);
  assert.deepEqual(
    p.resourceRecords('@').map((r) => r.type),
    ['A'],
  );
  const relay = SignedPacket.fromRelayPayload(ZERO.publicKey, canonical.subarray(32));
  assert.ok(relay.isSameAs(p));
  // every single-bit flip in the signed region is caught
  for (const at of [40, 100, 104, 150, 258]) {
    const bad = canonical.slice();
    bad[at] ^= 1;
    assert.equal(
      code(() => SignedPacket.fromBytes(bad)),
      'invalid_signature',
      `flip at ${at}`,
    );
  }
});

test('BEP44 signable (mainline vector)', () => {
  assert.equal(utf8Decode(signable(4, new TextEncoder().encode('Hello world!'))), '3:seqi4e1:v12:Hello world!');
});

test('§11.3 name normalization', () => {
  const origin = 'ed4mn3aoazuf1ahpy9rz1nyswhukbj5483ryefwkue7fbp3egkzo';
  assert.equal(normalizeName(origin, '.'), origin);
  assert.equal(normalizeName(origin, '@'), origin);
  assert.equal(normalizeName(origin, '@.'), origin);
  assert.equal(normalizeName(origin, ''), origin);
  assert.equal(normalizeName(origin, origin), origin);
  assert.equal(normalizeName(origin, '_derp_region.irorh'), `_derp_region.irorh.${origin}`);
  assert.equal(normalizeName(origin, `_derp_region.irorh.${origin}`), `_derp_region.irorh.${origin}`);
  assert.equal(normalizeName(origin, `_derp_region.irorh.${origin}.`), `_derp_region.irorh.${origin}`);
});

test('§11.3 wildcard lookup matches exactly one label', () => {
  const kp = Keypair.random();
  const p = SignedPacket.sign(kp, [
    { name: 'bar.foo', ttl: 30, type: 'A', address: '1.1.1.1' },
    { name: 'x.bar.foo', ttl: 30, type: 'A', address: '2.2.2.2' },
    { name: 'foo', ttl: 30, type: 'A', address: '3.3.3.3' },
  ]);
  const hits = p.resourceRecords('*.foo.');
  assert.equal(hits.length, 1);
  assert.equal(hits[0].name, `bar.foo.${kp.publicKey.z32}`);
  assert.equal(p.resourceRecords('foo').length, 1);
  assert.equal(p.resourceRecords('FOO').length, 1, 'lookups ignore ASCII case');
  assert.equal(p.resourceRecords('nothing').length, 0);
});

test('§11.3 TTL clamping', () => {
  const kp = Keypair.random();
  const empty = SignedPacket.sign(kp, []);
  assert.equal(empty.ttl(300, 86400), 300);
  const small = SignedPacket.sign(kp, [txtRecord('a', 'x', 150), txtRecord('b', 'y', 75)]);
  assert.equal(small.ttl(300, 86400), 300);
  assert.equal(small.ttl(0, 86400), 75);
  const big = SignedPacket.sign(kp, [txtRecord('a', 'x', 172800), txtRecord('b', 'y', 345600)]);
  assert.equal(big.ttl(300, 86400), 86400);
  assert.equal(big.ttl(300, 691200), 172800);
});

test('expiry and fresh records follow lastSeen', () => {
  const kp = Keypair.random();
  const p = SignedPacket.sign(kp, [txtRecord('_foo', 'hello', 10), txtRecord('_bar', 'x', 100)]);
  const now = p.lastSeen + 20_000_000;
  assert.ok(p.expiresIn(30, 2 ** 32 - 1, now) > 0, 'minimum ttl 30 > 20 s elapsed');
  assert.equal(p.expiresIn(0, 2 ** 32 - 1, now), 0, 'smallest record ttl 10 < 20 s elapsed');
  assert.ok(p.isExpired(0, 2 ** 32 - 1, now));
  assert.equal(p.freshResourceRecords('_foo', now).length, 0);
  assert.equal(p.freshResourceRecords('_bar', now).length, 1);
  assert.equal(p.elapsed(p.lastSeen - 5_000_000), 0, 'a lastSeen in the future counts as just seen');
});

test('ordering: timestamp first, then DNS bytes', () => {
  const kp = Keypair.random();
  const a = SignedPacket.sign(kp, [txtRecord('foo', 'first', 30)], { timestamp: 10 });
  const b = SignedPacket.sign(kp, [txtRecord('foo', 'second', 30)], { timestamp: 10 });
  const c = SignedPacket.sign(kp, [], { timestamp: 11 });
  assert.notEqual(a.moreRecentThan(b), b.moreRecentThan(a));
  assert.ok(b.moreRecentThan(a), '"second" > "first" bytewise');
  assert.ok(c.moreRecentThan(a) && c.moreRecentThan(b));
  assert.ok(!a.moreRecentThan(a));
  assert.ok(a.isSameAs(SignedPacket.fromBytes(a.bytes)));
  assert.ok(!a.isSameAs(b));
});

test('size limits: DNS ≤ 1000, canonical 104..1104', () => {
  const kp = Keypair.random();
  const many: DnsRecord[] = Array.from({ length: 100 }, () => ({ name: '_derp_region.iroh.', ttl: 30, type: 'A', address: '1.1.1.1' }));
  assert.equal(
    code(() => SignedPacket.sign(kp, many)),
    'packet_too_large',
  );
  // exactly 1000 bytes of DNS is allowed: header 12 + owner 54 + fixed 10 + TXT rdata 924
  const strings = [new Uint8Array(255), new Uint8Array(255), new Uint8Array(255), new Uint8Array(155)];
  const max = SignedPacket.sign(kp, [{ name: '@', ttl: 30, type: 'TXT', strings }]);
  assert.equal(max.dnsBytes.length, MAX_DNS_BYTES);
  assert.equal(max.bytes.length, 1104);
  assert.ok(SignedPacket.fromBytes(max.bytes).isSameAs(max));
  const tooLong = new Uint8Array(1105);
  tooLong.set(max.bytes);
  assert.equal(
    code(() => SignedPacket.fromBytes(tooLong)),
    'packet_too_large',
  );
  assert.equal(
    code(() => SignedPacket.fromRelayPayload(kp.publicKey, new Uint8Array(1073))),
    'packet_too_large',
  );
  assert.equal(
    code(() => SignedPacket.fromBytes(new Uint8Array(103))),
    'invalid_signed_packet_length',
  );
  // 104 bytes with a valid signature over an empty v: verifies, then the DNS part fails
  const empty = new Uint8Array(104);
  empty.set(kp.publicKey.bytes);
  empty.set(kp.sign(signable(0, new Uint8Array(0))), 32);
  assert.equal(
    code(() => SignedPacket.fromBytes(empty)),
    'dns_truncated',
  );
});

test('a key that is not a curve point is refused', () => {
  const bytes = new Uint8Array(120);
  const bad = PublicKey.tryParse('c1bkg8tfsyy8wcedtmw4fwhdmm7bbzhgg3z58tf43m5ow8w9mbus');
  assert.equal(bad, null);
  bytes.fill(0xff, 0, 32);
  assert.equal(
    code(() => SignedPacket.fromBytes(bytes)),
    'invalid_public_key',
  );
});

test('storage form: last_seen ‖ canonical, future last_seen reset to 0', () => {
  const kp = Keypair.random();
  const p = SignedPacket.sign(kp, [txtRecord('a', 'b', 30)]);
  p.lastSeen = 1_700_000_000_123_456;
  const stored = p.serialize();
  assert.equal(stored.length, 8 + p.bytes.length);
  const back = SignedPacket.deserialize(stored);
  assert.ok(back.isSameAs(p));
  assert.equal(back.lastSeen, 1_700_000_000_123_456);
  const future = p.withLastSeen(Date.now() * 1000 + 120_000_000).serialize();
  assert.equal(SignedPacket.deserialize(future).lastSeen, 0);
  const near = p.withLastSeen(Date.now() * 1000 + 30_000_000);
  assert.equal(SignedPacket.deserialize(near.serialize()).lastSeen, near.lastSeen);
  assert.equal(
    code(() => SignedPacket.deserialize(new Uint8Array(4))),
    'invalid_signed_packet_length',
  );
});

test('timestamps come from nowMicros and increase', () => {
  const kp = Keypair.random();
  const a = SignedPacket.sign(kp, []);
  const b = SignedPacket.sign(kp, []);
  assert.ok(b.timestamp > a.timestamp);
  assert.ok(Math.abs(a.timestamp - Date.now() * 1000) < 10_000_000);
  assert.equal(
    code(() => SignedPacket.sign(kp, [], { timestamp: 2 ** 53 })),
    'timestamp_out_of_range',
  );
  assert.equal(
    code(() => SignedPacket.sign(kp, [], { timestamp: -1 })),
    'timestamp_out_of_range',
  );
});

test('a signed timestamp above 2^53 is refused with a precise code', () => {
  const dns = SignedPacket.sign(ZERO, []).dnsBytes;
  const ts = 2n ** 60n;
  const bytes = new Uint8Array(104 + dns.length);
  bytes.set(ZERO.publicKey.bytes);
  bytes.set(ZERO.sign(signable(ts, dns)), 32);
  new DataView(bytes.buffer).setBigUint64(96, ts);
  bytes.set(dns, 104);
  assert.equal(
    code(() => SignedPacket.fromBytes(bytes)),
    'timestamp_out_of_range',
  );
});
