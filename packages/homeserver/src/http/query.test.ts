import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crockfordEncode, Keypair } from '@pubky-ts/common';
import type { HttpError } from './errors.ts';
import { feedQuery, lenientLimit, listCursor, parseEventCursor, strictBool } from './query.ts';

test('strict booleans', () => {
  for (const t of ['', 'true', 'TRUE', 'yes', '1']) assert.equal(strictBool(t), true);
  for (const f of ['false', 'No', '0']) assert.equal(strictBool(f), false);
  assert.equal(strictBool(undefined), false);
  for (const bad of ['2', 'on', 'truee', ' true'])
    assert.throws(
      () => strictBool(bad),
      (e: HttpError) => e.status === 400 && e.message === 'Invalid boolean parameter',
    );
});

test('listing limit: default 100, capped at 1000, garbage ignored', () => {
  assert.equal(lenientLimit(undefined), 100);
  assert.equal(lenientLimit(''), 100);
  assert.equal(lenientLimit('abc'), 100);
  assert.equal(lenientLimit('70000'), 100);
  assert.equal(lenientLimit('5000'), 1000);
  assert.equal(lenientLimit('7'), 7);
});

test('listing cursor: <z32>/<canonical path>, pubky:// optional', () => {
  const k = Keypair.random().publicKey.z32;
  assert.equal(listCursor(`pubky://${k}/pub/a/b`), '/pub/a/b');
  assert.equal(listCursor(`${k}/pub/a/`), '/pub/a/');
  assert.equal(listCursor(''), null);
  for (const bad of ['/pub/a', `${k}`, `${k}pub`, `${k}/pub//a`, `${k}/pub/../a`, `pubky${k}/pub/a`, 'x'.repeat(60)]) {
    assert.throws(
      () => listCursor(bad),
      (e: HttpError) => e.status === 400 && e.message === 'Invalid cursor',
      bad,
    );
  }
});

test('event cursors: decimal ids and the legacy 13-char timestamp form', () => {
  assert.deepEqual(parseEventCursor('42'), { kind: 'id', id: 42 });
  const ts = 1_700_000_000_123_456;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(ts));
  const legacy = crockfordEncode(bytes);
  assert.equal(legacy.length, 13);
  assert.deepEqual(parseEventCursor(legacy), { kind: 'timestamp', micros: ts });
  for (const bad of ['', '-1', '1.5', 'abc', '99999999999999999', 'UUUUUUUUUUUUU!']) assert.equal(parseEventCursor(bad), null, bad);
  assert.deepEqual(feedQuery([]), { cursor: { kind: 'id', id: 0 }, limit: 100 });
  assert.throws(() => feedQuery([{ key: 'cursor', value: 'nope' }]), /Invalid cursor/);
  assert.throws(() => feedQuery([{ key: 'reverse', value: 'maybe' }]), /Invalid boolean/);
});
