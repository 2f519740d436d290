import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keypair, PubkyError } from '@pubky-ts/common';
import { PublishAccumulator, ResolveAccumulator } from './accumulators.ts';
import { PkarrError } from './errors.ts';
import { SignedPacket } from './signed-packet.ts';
import { txtRecord } from './dns/txt.ts';

function fails(fn: () => unknown): PubkyError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PubkyError);
    return e;
  }
  assert.fail('expected an error');
}

const err = (code: string, seq?: number) => new PkarrError(code as never, code, { seq });

test('resolve: all empty is not_found; an operational error beats empty answers', () => {
  const a = new ResolveAccumulator(null);
  a.recordError(err('not_found'));
  a.recordError(err('not_found'));
  assert.equal(fails(() => a.result()).code, 'not_found');
  const b = new ResolveAccumulator(null);
  b.recordError(err('not_found'));
  b.recordError(err('relay_timeout'));
  assert.equal(fails(() => b.result()).code, 'relay_timeout');
  const c = new ResolveAccumulator(null);
  c.recordError(err('relay_timeout'));
  c.recordError(err('dht_unavailable'));
  assert.equal(fails(() => c.result()).code, 'dht_unavailable', 'ties go to the more telling error');
});

test('resolve: a packet beats errors; a newer invalid seq beats the packet', () => {
  const kp = Keypair.random();
  const p = SignedPacket.sign(kp, [], { timestamp: 100 });
  const a = new ResolveAccumulator(null);
  a.recordError(err('not_found'));
  a.recordPacket(p);
  a.recordError(err('relay_timeout'));
  assert.equal(a.result(), p);
  a.recordError(err('invalid_signed_packet', 101));
  const e = fails(() => a.result()) as PkarrError;
  assert.equal(e.code, 'invalid_signed_packet');
  assert.equal(e.seq, 101);
  const b = new ResolveAccumulator(null);
  b.recordPacket(p);
  b.recordError(err('invalid_signed_packet', 100));
  assert.equal(b.result(), p, 'an equal seq does not outrank the packet');
});

test('resolve with a cache floor: below-floor packets and covered invalid seqs are empty', () => {
  const kp = Keypair.random();
  const first = SignedPacket.sign(kp, [txtRecord('foo', 'first', 30)], { timestamp: 10 });
  const second = SignedPacket.sign(kp, [txtRecord('foo', 'second', 30)], { timestamp: 10 });
  const [floor, below] = first.moreRecentThan(second) ? [first, second] : [second, first];
  const above = SignedPacket.sign(kp, [], { timestamp: 11 });
  const a = new ResolveAccumulator({ cached: floor, minTtl: 0, maxTtl: 0 });
  assert.equal(a.recordPacket(below), false);
  assert.equal(fails(() => a.result()).code, 'not_found');
  assert.equal(a.recordPacket(above), true);
  assert.equal(a.result(), above);
  const b = new ResolveAccumulator({ cached: floor, minTtl: 0, maxTtl: 0 });
  b.recordError(err('invalid_signed_packet', 10));
  assert.equal(fails(() => b.result()).code, 'not_found');
});

test('resolve: a fresh candidate is not hidden by a newer expired packet; same packet keeps the newest lastSeen', () => {
  const kp = Keypair.random();
  const now = Date.now() * 1000;
  const cached = SignedPacket.sign(kp, [], { timestamp: 9 }).withLastSeen(now - 60_000_000);
  const expired = SignedPacket.sign(kp, [], { timestamp: 11 }).withLastSeen(now - 60_000_000);
  const fresh = SignedPacket.sign(kp, [txtRecord('foo', 'fresh', 30)], { timestamp: 10 });
  const a = new ResolveAccumulator({ cached, minTtl: 0, maxTtl: 30 });
  assert.equal(a.recordPacket(expired), false);
  assert.equal(a.recordPacket(fresh), true);
  assert.equal(a.result(), fresh);
  const b = new ResolveAccumulator(null);
  b.recordPacket(fresh.withLastSeen(20));
  b.recordPacket(fresh.withLastSeen(10));
  assert.equal(b.result().lastSeen, 20);
});

test('publish: conflicts win when at least as common as successes; else max stored count', () => {
  const a = new PublishAccumulator();
  a.recordSuccess(3);
  a.recordSuccess(5);
  a.recordError(err('not_most_recent'));
  a.recordError(err('not_most_recent'));
  a.recordError(err('relay_timeout'));
  a.recordError(err('relay_timeout'));
  a.recordError(err('relay_timeout'));
  assert.equal(fails(() => a.result()).code, 'not_most_recent');
  const b = new PublishAccumulator();
  b.recordSuccess(3);
  b.recordSuccess(11);
  b.recordSuccess(7);
  b.recordError(err('cas_failed'));
  assert.equal(b.result(), 11);
  const c = new PublishAccumulator();
  c.recordError(err('relay_timeout'));
  c.recordError(err('dht_unavailable'));
  c.recordError(err('dht_unavailable'));
  assert.equal(fails(() => c.result()).code, 'dht_unavailable');
  const d = new PublishAccumulator();
  d.recordError(err('cas_failed'));
  assert.equal(fails(() => d.result()).code, 'cas_failed');
  const e = new PublishAccumulator();
  e.recordError(new Error('boom'));
  assert.equal(fails(() => e.result()).code, 'dht_error');
});
