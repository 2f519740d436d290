import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientIp, globToRegExp, parseRateQuota, RateLimiter } from './rate-limit.ts';

test('quota grammar', () => {
  assert.deepEqual(parseRateQuota('10r/m'), { count: 10, periodMs: 60_000 });
  assert.deepEqual(parseRateQuota('1r/s'), { count: 1, periodMs: 1000 });
  for (const bad of ['0r/m', '10/m', '10r/x', 'r/m', '1mb/s', '', '-1r/s']) assert.equal(parseRateQuota(bad), null, bad);
});

test('globs: * stays in a segment, ** crosses', () => {
  assert.ok(globToRegExp('/signup_tokens/*').test('/signup_tokens/ABCD-EFGH-JKMN'));
  assert.ok(!globToRegExp('/signup_tokens/*').test('/signup_tokens/a/b'));
  assert.ok(globToRegExp('/pub/**').test('/pub/a/b/c'));
  assert.ok(globToRegExp('/pub/**/x').test('/pub/x'));
  assert.ok(globToRegExp('/{session,signup}').test('/signup'));
  assert.ok(!globToRegExp('/a.b').test('/axb'));
});

test('client ip: X-Forwarded-For first parseable, then X-Real-IP, then peer', () => {
  assert.equal(clientIp({ 'x-forwarded-for': 'junk, 10.0.0.1, 10.0.0.2' }, '127.0.0.1'), '10.0.0.1');
  assert.equal(clientIp({ 'x-real-ip': '::1' }, '127.0.0.1'), '::1');
  assert.equal(clientIp({ 'x-forwarded-for': 'junk' }, '127.0.0.1'), '127.0.0.1');
});

test('GCRA: burst then Retry-After until the next cell; whitelist and keys', () => {
  let now = 1_000_000;
  const rl = new RateLimiter(
    [
      { path: '/session', method: 'POST', count: 2, periodMs: 60_000, key: 'ip', burst: 2, whitelist: ['10.9.9.9'] },
      { path: '/pub/**', method: 'PUT', count: 1, periodMs: 1000, key: 'user', burst: 1, whitelist: [] },
    ],
    () => now,
  );
  const r = { method: 'POST', path: '/session', ip: '1.1.1.1', user: null };
  assert.equal(rl.check(r).kind, 'ok');
  assert.equal(rl.check(r).kind, 'ok');
  const limited = rl.check(r);
  assert.equal(limited.kind, 'limited');
  assert.ok(limited.kind === 'limited' && limited.retryAfterSeconds >= 1 && limited.retryAfterSeconds <= 30);
  assert.equal(rl.check({ ...r, ip: '2.2.2.2' }).kind, 'ok', 'per key');
  for (let i = 0; i < 5; i++) assert.equal(rl.check({ ...r, ip: '10.9.9.9' }).kind, 'ok', 'whitelisted');
  assert.equal(rl.check({ ...r, method: 'GET' }).kind, 'ok', 'other method');
  now += 30_000;
  assert.equal(rl.check(r).kind, 'ok', 'a cell refilled');
  assert.equal(rl.check({ method: 'PUT', path: '/pub/x', ip: 'a', user: null }).kind, 'no_key');
  rl.sweep();
});
