import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, PubkyError } from '@pubky-ts/common';
import { moreRecentThan, packetTtl, parseCanonical, parseRelayPayload, signable } from './relay-packet.ts';
import { encodeDns, makePacket } from '../test/helpers.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
// Spec §11.4
const V_DNS = hex(
  '000080000000000200000000065f7075626b79343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f000041000100000e1000380000343870696e787867717334316e346169646964656e773561707170317572666d7a647a7472386a74346162726b646e34333565776f00c0130001000100000e1000047f000001',
);
const V_SIG = hex(
  '16078b2f9b79870b730616fdb1b926008bca8ce381648099d4ca51e1dabd9da7d5af8455366acb9b52dfe63db7a3a5712476cb19a0f19a52ca531ae69b348509',
);
const ZERO = Keypair.fromSecretKey(new Uint8Array(32));

function vectorPayload(): Uint8Array {
  const p = new Uint8Array(64 + 8 + V_DNS.length);
  p.set(V_SIG, 0);
  p.set(hex('00060a24181e4000'), 64);
  p.set(V_DNS, 72);
  return p;
}

test('spec §11.4 relay payload verifies under the zero-seed key', () => {
  const payload = vectorPayload();
  assert.equal(payload.length, 227);
  const p = parseRelayPayload(ZERO.publicKey, payload);
  assert.equal(p.timestamp, 1700000000000000);
  assert.equal(p.bytes.length, 259);
  assert.equal(p.minTtl, 3600);
  assert.equal(Buffer.from(signable(p.timestamp, p.dns).subarray(0, 30)).toString(), '3:seqi1700000000000000e1:v155:');
});

test('every single-byte mutation of the vector is rejected with a precise error', () => {
  const payload = vectorPayload();
  for (let i = 0; i < payload.length; i++) {
    const m = Uint8Array.from(payload);
    m[i] ^= 0x01;
    // Every payload byte is covered by the signature.
    assert.throws(
      () => parseRelayPayload(ZERO.publicKey, m),
      (e: unknown) => e instanceof PubkyError && e.code === 'invalid_signature',
    );
  }
});

test('length bounds, wrong key, malformed DNS: each with its own error code', () => {
  const kp = Keypair.random();
  const other = Keypair.random();
  const pk = makePacket(kp);
  const code = (c: string | RegExp) => (e: unknown) => e instanceof PubkyError && (typeof c === 'string' ? e.code === c : c.test(e.code));
  assert.throws(() => parseRelayPayload(kp.publicKey, pk.payload.subarray(0, 71)), code('invalid_signed_packet_length'));
  assert.throws(() => parseRelayPayload(kp.publicKey, new Uint8Array(1073)), code('packet_too_large'));
  assert.throws(() => parseRelayPayload(other.publicKey, pk.payload), code('invalid_signature'));
  assert.throws(() => parseCanonical(pk.canonical, other.publicKey), code('invalid_signed_packet'));
  // Validly signed but malformed DNS: signed garbage is still refused.
  const bad = makePacket(kp, { dns: Uint8Array.from([0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 97]) });
  assert.throws(() => parseRelayPayload(kp.publicKey, bad.payload), code(/^dns_/));
  const short = makePacket(kp, { dns: new Uint8Array(5) });
  assert.throws(() => parseRelayPayload(kp.publicKey, short.payload), code(/^dns_/));
  const loop = makePacket(kp, { dns: Uint8Array.from([0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0]) });
  assert.throws(() => parseRelayPayload(kp.publicKey, loop.payload), code(/^dns_/));
  assert.throws(() => parseCanonical(new Uint8Array(50)), code('invalid_signed_packet_length'));
  assert.equal(parseRelayPayload(kp.publicKey, pk.payload).timestamp, pk.timestamp);
});

test('ordering and TTL clamping (spec §2.3, §11.3)', () => {
  const kp = Keypair.random();
  const a = parseCanonical(makePacket(kp, { timestamp: 10 }).canonical);
  const b = parseCanonical(makePacket(kp, { timestamp: 11 }).canonical);
  assert.ok(moreRecentThan(b, a));
  assert.ok(!moreRecentThan(a, b));
  const x = parseCanonical(makePacket(kp, { timestamp: 5, records: [{ name: kp.publicKey.z32, ttl: 1, txt: 'a' }] }).canonical);
  const y = parseCanonical(makePacket(kp, { timestamp: 5, records: [{ name: kp.publicKey.z32, ttl: 1, txt: 'b' }] }).canonical);
  assert.ok(moreRecentThan(y, x), 'equal timestamps: larger DNS bytes win');
  const empty = parseCanonical(makePacket(kp, { dns: encodeDns([]) }).canonical);
  assert.equal(packetTtl(empty, 300, 86400), 300);
  const two = parseCanonical(
    makePacket(kp, {
      records: [
        { name: 'a', ttl: 150 },
        { name: 'b', ttl: 75 },
      ],
    }).canonical,
  );
  assert.equal(packetTtl(two, 300, 86400), 300);
  assert.equal(packetTtl(two, 0, 86400), 75);
  const big = parseCanonical(
    makePacket(kp, {
      records: [
        { name: 'a', ttl: 172800 },
        { name: 'b', ttl: 345600 },
      ],
    }).canonical,
  );
  assert.equal(packetTtl(big, 300, 86400), 86400);
  assert.equal(packetTtl(big, 300, 691200), 172800);
});
