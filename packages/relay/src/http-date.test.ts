import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHttpDate, parseHttpDate } from './http-date.ts';

// Spec §11.6: packet ts = Sun, 06 Nov 1994 08:49:37 GMT + 500 000 µs.
const TS = 784111777500000;

test('formats µs timestamps truncated to the second (spec §11.6)', () => {
  assert.equal(formatHttpDate(TS), 'Sun, 06 Nov 1994 08:49:37 GMT');
  assert.equal(formatHttpDate(TS - 1), 'Sun, 06 Nov 1994 08:49:37 GMT');
  // client lower bound = cached.ts − 1 s
  assert.equal(formatHttpDate(TS - 1_000_000), 'Sun, 06 Nov 1994 08:49:36 GMT');
  assert.equal(formatHttpDate(784111777000000), 'Sun, 06 Nov 1994 08:49:37 GMT');
});

test('parses the three HTTP-date forms to whole-second µs', () => {
  assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), 784111777000000);
  assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), 784111777000000);
  assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), 784111777000000);
});

test('rejects garbage and impossible dates', () => {
  for (const bad of ['', '1', 'yesterday', 'Sun, 06 Nov 1994 08:49:37', 'Sun, 31 Feb 1994 08:49:37 GMT',
    'Sun, 06 Foo 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', '784111777500000']) {
    assert.equal(parseHttpDate(bad), null, bad);
  }
});
