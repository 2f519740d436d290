import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from './rate-limiter.ts';

test('token bucket: burst, refill, Retry-After seconds', () => {
  let t = 0;
  const rl = new RateLimiter({ rate: 2, burst: 3 }, 10, () => t);
  assert.equal(rl.take('a'), 0);
  assert.equal(rl.take('a'), 0);
  assert.equal(rl.take('a'), 0);
  assert.equal(rl.take('a'), 1);
  assert.equal(rl.take('b'), 0, 'other IPs have their own bucket');
  t += 500; // one token back
  assert.equal(rl.take('a'), 0);
  assert.equal(rl.take('a'), 1);
  const slow = new RateLimiter({ rate: 0.25 }, 10, () => t);
  assert.equal(slow.take('x'), 0);
  assert.equal(slow.take('x'), 4);
});

test('tracked buckets stay bounded', () => {
  let t = 0;
  const rl = new RateLimiter({ rate: 1 }, 5, () => t);
  for (let i = 0; i < 50; i++) rl.take(`ip${i}`);
  assert.ok(rl.tracked <= 5);
  t += 10_000;
  rl.take('new');
  assert.ok(rl.tracked <= 5);
});
