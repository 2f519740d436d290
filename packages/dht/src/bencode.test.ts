import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bdecode, bencode, type BDict } from './bencode.ts';
import { DhtError } from './errors.ts';

const te = new TextEncoder();
const b = (s: string) => te.encode(s);

function rejects(input: string | Uint8Array, pattern: RegExp) {
  assert.throws(
    () => bdecode(typeof input === 'string' ? b(input) : input),
    (err: unknown) => err instanceof DhtError && err.code === 'bencode_invalid' && pattern.test(err.message),
    `expected ${String(input)} to be refused with ${pattern}`,
  );
}

test('round-trips dictionaries, lists, integers and byte strings', () => {
  const value = { t: new Uint8Array([0, 1, 2, 255]), y: 'q', a: { id: new Uint8Array(20).fill(7), n: -42, l: [1, 'x', []] } };
  const enc = bencode(value);
  assert.equal(Buffer.from(enc).toString('latin1').slice(0, 12), 'd1:ad2:id20:');
  const dec = bdecode(enc) as BDict;
  assert.deepEqual(dec.t, value.t);
  assert.deepEqual((dec.a as BDict).n, -42);
  assert.deepEqual(bencode(dec as never), enc);
});

test('sorts dictionary keys by bytes', () => {
  assert.equal(Buffer.from(bencode({ b: 1, a: 2, A: 3 })).toString(), 'd1:Ai3e1:ai2e1:bi1ee');
});

test('integers: exact up to 2^53 − 1, refused beyond', () => {
  assert.equal(bdecode(b('i9007199254740991e')), Number.MAX_SAFE_INTEGER);
  assert.equal(bdecode(b('i-9007199254740991e')), -Number.MAX_SAFE_INTEGER);
  assert.equal(bdecode(b('i0e')), 0);
  rejects('i9007199254740992e', /beyond/);
  rejects('i9007199254740993e', /beyond/);
  rejects(`i${'9'.repeat(5000)}e`, /beyond/);
  rejects('i-0e', /negative zero/);
  rejects('i03e', /leading zero/);
  rejects('ie', /without digits/);
  rejects('i1.5e', /unexpected byte 0x2e in integer/);
  rejects('i12', /unterminated integer/);
  assert.throws(() => bencode(2 ** 53), DhtError);
  assert.throws(() => bencode(1.5), DhtError);
});

test('strings: lengths are checked against the buffer', () => {
  rejects('5:abc', /runs past the end/);
  rejects('d1:a-3:e', /dictionary key|unexpected byte 0x2d/);
  rejects('-3:abc', /unexpected byte 0x2d/);
  rejects('03:abc', /leading zero/);
  rejects('3abc', /not followed by ":"/);
  rejects('99999999999:a', /too long/);
  rejects('12', /truncated string length/);
});

test('structure: truncation, trailing bytes, duplicates, depth, key types', () => {
  rejects('', /empty/);
  rejects('d1:ai1e', /unterminated dictionary/);
  rejects('li1e', /unterminated list/);
  rejects('i1ei2e', /trailing/);
  rejects('d1:ai1e1:ai2ee', /duplicate dictionary key "a"/);
  rejects('di1ei2ee', /key is not a byte string/);
  rejects('l'.repeat(40) + 'e'.repeat(40), /nesting deeper/);
  rejects('x', /unexpected byte 0x78/);
  assert.deepEqual(bdecode(b('l'.repeat(32) + 'e'.repeat(32))), bdecode(b('l'.repeat(32) + 'e'.repeat(32))));
});

test('keys that are not UTF-8 survive a round trip', () => {
  const raw = new Uint8Array([...b('d2:'), 0xff, 0xfe, ...b('i1ee')]);
  assert.deepEqual(bencode(bdecode(raw) as never), raw);
});

test('a deep list of 20 000 elements decodes without blowing the stack', () => {
  const raw = b('l' + 'i1e'.repeat(20000) + 'e');
  assert.equal((bdecode(raw) as number[]).length, 20000);
});
