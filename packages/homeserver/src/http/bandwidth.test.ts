import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { UserRecord } from '../storage/types.ts';
import { BandwidthThrottle, pacedBody, pacedResponse, parseBandwidth, type BandwidthDefaults } from './bandwidth.ts';

const NONE: BandwidthDefaults = {
  rateRead: null,
  rateWrite: null,
  rateReadBurst: null,
  rateWriteBurst: null,
  unauthenticatedIpRateRead: null,
};

function user(key: string, quota: Partial<UserRecord> = {}): UserRecord {
  return {
    id: 1,
    publicKey: key,
    disabled: false,
    usedBytes: 0,
    createdAt: 0,
    storageQuotaMb: null,
    rateRead: null,
    rateWrite: null,
    rateReadBurst: null,
    rateWriteBurst: null,
    allowedWritePaths: null,
    ...quota,
  };
}

test('parseBandwidth: KB cells per period, "unlimited", and null for anything else', () => {
  assert.deepEqual(parseBandwidth('1kb/s'), { cells: 1, periodMs: 1000 });
  assert.deepEqual(parseBandwidth('10mb/m'), { cells: 10 * 1024, periodMs: 60_000 });
  assert.deepEqual(parseBandwidth('2gb/h'), { cells: 2 * 1_048_576, periodMs: 3_600_000 });
  assert.deepEqual(parseBandwidth('7kb/d'), { cells: 7, periodMs: 86_400_000 });
  assert.equal(parseBandwidth('unlimited'), 'unlimited');
  for (const bad of [
    '',
    '0kb/s',
    '10KB/s',
    '10mb',
    'mb/s',
    '10 mb/s',
    '-1kb/s',
    '1e3kb/s',
    '10mb/y',
    '1234567890kb/s',
    '10mb/s ',
    'Unlimited',
    '10r/m',
    '10mb//s',
  ]) {
    assert.equal(parseBandwidth(bad), null, bad);
  }
  for (let i = 0; i < 2000; i++) assert.equal(parseBandwidth(randomBytes(1 + (i % 24)).toString('latin1')), null);
});

test('buckets: the burst goes at once, then bytes wait for the rate; per user and direction; overrides win', () => {
  let now = 0;
  const t = new BandwidthThrottle({ ...NONE, rateRead: '100kb/s', rateWrite: '10kb/s', rateWriteBurst: 20 }, () => now);
  const a = user('a');
  const read = t.forUser(a, 'read')!;
  assert.equal(read.delayMs(100 * 1024), 0, 'the burst (= the rate, 100 KB) is free');
  assert.equal(read.delayMs(50 * 1024), 500, '50 KB more at 100 KB/s');
  now = 500;
  assert.equal(read.delayMs(0), 0, 'the debt is paid off after the wait');
  now = 1500;
  assert.equal(t.forUser(a, 'read')!.delayMs(100 * 1024), 0, 'refilled to the burst, no further');
  assert.equal(t.forUser(a, 'read')!.delayMs(1024), 10);

  const write = t.forUser(a, 'write')!;
  assert.equal(write.delayMs(20 * 1024), 0, 'write burst 20 KB');
  assert.equal(write.delayMs(10 * 1024), 1000, 'its own bucket and rate');
  assert.equal(t.forUser(user('b'), 'write')!.delayMs(20 * 1024), 0, 'another user has a full bucket');

  assert.equal(t.forUser(user('c', { rateRead: 'unlimited' }), 'read'), null, 'an unlimited override lifts the default');
  const own = t.forUser(user('d', { rateWrite: '1mb/s', rateWriteBurst: 1 }), 'write')!;
  assert.equal(own.delayMs(1024), 0);
  assert.equal(own.delayMs(1024), 1000 / 1024, "the override's own burst, not the default's");

  assert.equal(t.pacesAnonymous, false);
  assert.equal(t.forAnonymous('127.0.0.1'), null);
  assert.equal(new BandwidthThrottle(NONE).forUser(a, 'read'), null, 'no rate anywhere: not throttled');
  const anon = new BandwidthThrottle({ ...NONE, unauthenticatedIpRateRead: '1kb/s' }, () => now);
  assert.equal(anon.pacesAnonymous, true);
  assert.equal(anon.forAnonymous('10.0.0.1')!.delayMs(2048), 1000);
  assert.equal(anon.forAnonymous('10.0.0.2')!.delayMs(1024), 0, 'per IP');
});

test('pacedBody hands the bytes on unchanged, in pieces, at the rate', async () => {
  const t = new BandwidthThrottle({ ...NONE, rateWrite: '64kb/s', rateWriteBurst: 16 });
  const data = randomBytes(48 * 1024);
  async function* one() {
    yield data;
  }
  const started = performance.now();
  const pieces: Uint8Array[] = [];
  for await (const p of pacedBody(one(), t.forUser(user('p'), 'write')!)) pieces.push(p);
  const elapsed = performance.now() - started;
  assert.ok(pieces.length >= 3, 'split into pieces');
  assert.deepEqual(Buffer.concat(pieces), data);
  // 16 KB free, 32 KB at 64 KB/s = 500 ms.
  assert.ok(elapsed >= 450, `took ${elapsed} ms`);
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
});

test('pacedResponse destroyed before it is read destroys its source (a blob stream must not keep its file open)', async () => {
  const t = new BandwidthThrottle({ ...NONE, rateRead: '1mb/s' });
  const source = Readable.from([Buffer.alloc(10)]);
  const out = pacedResponse(source, t.forUser(user('r'), 'read')!);
  out.destroy();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(source.destroyed, true);
});
