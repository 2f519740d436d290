import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { as, signup, startTestServer, type TestServer } from './helpers.ts';

// Bandwidth throttling (spec §8.1) over real HTTP: [default_quotas] at 128 KB/s (burst = 128 KB),
// 384 KiB bodies, so a paced transfer takes ~2 s (the first 128 KiB at once, 256 KiB at the rate).
const RATE = '128kb/s';
const BODY = randomBytes(384 * 1024);
const PACED_MIN_MS = 1700;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let hs: TestServer;
before(async () => {
  hs = await startTestServer({ default_quotas: { rate_read: RATE, rate_write: RATE, unauthenticated_ip_rate_read: RATE } });
});
after(() => hs.stop());

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

async function put(kp: { publicKey: { z32: string } }, cookie: string, path: string): Promise<number> {
  const res = await hs.req(path, { method: 'PUT', body: BODY, headers: as(kp as never, cookie) });
  assert.equal(res.status, 201, await res.text());
  return res.status;
}

async function get(path: string, headers: Record<string, string>): Promise<Buffer> {
  const res = await hs.req(path, { headers });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), String(BODY.length));
  return Buffer.from(await res.arrayBuffer());
}

test('uploads and downloads of a user under the default rates are paced; an unlimited override is not; bytes arrive intact', async () => {
  const slow = await signup(hs);
  const fast = await signup(hs);
  const patch = await hs.admin(`/users/${fast.kp.publicKey.z32}/quota`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rate_read: 'unlimited', rate_write: 'unlimited' }),
  });
  assert.equal(patch.status, 200);
  const effective = (await (await hs.admin(`/users/${slow.kp.publicKey.z32}/quota`)).json()) as { effective: Record<string, unknown> };
  assert.equal(effective.effective.rate_read, RATE, 'the admin API shows the default that applies');

  // Both uploads at once: the slow user's is paced, the other's is not held up by it.
  const [paced, free] = await Promise.all([
    timed(() => put(slow.kp, slow.cookie, '/pub/big.bin')),
    timed(() => put(fast.kp, fast.cookie, '/pub/big.bin')),
  ]);
  assert.ok(paced.ms >= PACED_MIN_MS, `paced upload took ${paced.ms.toFixed(0)} ms`);
  assert.ok(free.ms < PACED_MIN_MS / 2, `unthrottled upload took ${free.ms.toFixed(0)} ms`);

  const [slowRead, freeRead] = await Promise.all([
    timed(() => get('/pub/big.bin', as(slow.kp, slow.cookie))),
    timed(() => get('/pub/big.bin', as(fast.kp, fast.cookie))),
  ]);
  assert.ok(slowRead.ms >= PACED_MIN_MS, `paced download took ${slowRead.ms.toFixed(0)} ms`);
  assert.ok(freeRead.ms < PACED_MIN_MS / 2, `unthrottled download took ${freeRead.ms.toFixed(0)} ms`);
  assert.equal(sha(slowRead.value), sha(BODY));
  assert.equal(sha(freeRead.value), sha(BODY));
});

test('reads without a session are paced per client IP; a forwarded IP has its own bucket', async () => {
  const owner = await signup(hs);
  const patch = await hs.admin(`/users/${owner.kp.publicKey.z32}/quota`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rate_write: 'unlimited' }),
  });
  assert.equal(patch.status, 200);
  await put(owner.kp, owner.cookie, '/pub/shared.bin');
  const z32 = owner.kp.publicKey.z32;
  const [a, b] = await Promise.all([
    timed(() => get('/pub/shared.bin', { 'pubky-host': z32, 'x-forwarded-for': '203.0.113.1' })),
    timed(() => get('/pub/shared.bin', { 'pubky-host': z32, 'x-forwarded-for': '203.0.113.2' })),
  ]);
  for (const r of [a, b]) {
    assert.ok(r.ms >= PACED_MIN_MS && r.ms < 3 * PACED_MIN_MS, `anonymous download took ${r.ms.toFixed(0)} ms`);
    assert.equal(sha(r.value), sha(BODY));
  }
  // A HEAD or a 304 has no body to pace.
  const head = await timed(() =>
    hs.req('/pub/shared.bin', { method: 'HEAD', headers: { 'pubky-host': z32, 'x-forwarded-for': '203.0.113.1' } }),
  );
  assert.equal(head.value.status, 200);
  assert.ok(head.ms < PACED_MIN_MS / 2, `HEAD took ${head.ms.toFixed(0)} ms`);
});

test('[default_quotas] rejects malformed rates and a burst without its rate, saying what it expects', async () => {
  for (const [quotas, message] of [
    [{ rate_read: '10MB/s' }, /default_quotas\.rate_read: expected "<n><kb\|mb\|gb>\/<s\|m\|h\|d>"/],
    [{ unauthenticated_ip_rate_read: '0kb/s' }, /default_quotas\.unauthenticated_ip_rate_read: expected/],
    [{ rate_write_burst: 10 }, /default_quotas\.rate_write_burst: requires a default_quotas\.rate_write rate/],
    [{ rate_read: '1mb/s', rate_read_burst: 0 }, /default_quotas\.rate_read_burst: expected an integer in 1\.\./],
  ] as const) {
    await assert.rejects(startTestServer({ default_quotas: quotas }), message);
  }
});
