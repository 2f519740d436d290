import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHttpDate, parseHttpDate } from './http-date.ts';

test('HTTP-date round trip at whole seconds (spec §11.6)', () => {
  const ts = 784111777500000;
  assert.equal(formatHttpDate(ts), 'Sun, 06 Nov 1994 08:49:37 GMT');
  assert.equal(formatHttpDate(ts - 1_000_000), 'Sun, 06 Nov 1994 08:49:36 GMT');
  assert.equal(formatHttpDate(ts - 1), 'Sun, 06 Nov 1994 08:49:37 GMT');
  assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), 784111777000000);
  assert.equal(formatHttpDate(0), 'Thu, 01 Jan 1970 00:00:00 GMT');
});

test('obsolete forms are read, garbage is null', () => {
  assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), 784111777000000);
  assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), 784111777000000);
  for (const bad of [null, undefined, '', 'yesterday', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', '784111777']) {
    assert.equal(parseHttpDate(bad), null, String(bad));
  }
});
