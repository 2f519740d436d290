import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake3 } from './blake3.ts';
import { base64Decode, base64Encode, base64urlDecode, base64urlEncode, randomBytes, utf8Decode } from './bytes.ts';
import { crockfordDecode, crockfordEncode } from './crockford.ts';
import { decrypt, encrypt } from './secretbox.ts';

test('base64 flavours round-trip and match Buffer', () => {
  for (let i = 0; i < 300; i++) {
    const b = randomBytes(i % 50);
    assert.equal(base64Encode(b), Buffer.from(b).toString('base64'));
    assert.equal(base64urlEncode(b), Buffer.from(b).toString('base64url'));
    assert.deepEqual(base64Decode(base64Encode(b)), b);
    assert.deepEqual(base64urlDecode(base64urlEncode(b)), b);
  }
  assert.throws(() => base64urlDecode('ab+c'));
  assert.throws(() => base64urlDecode('abc='));
});

test('BLAKE3 ETag vectors (homeserver spec §2.5)', async () => {
  assert.equal(base64Encode(await blake3(new Uint8Array())), 'rxNJufX5oaagQE3qNtzJSZvLJcmtwRK3zJqTyuQfMmI=');
  assert.equal(base64Encode(await blake3(new TextEncoder().encode('hello'))), '6o8WPbOGgpJeRJHF5Y1Ls1Bu+MFOt4qG6QjFYkpnIA8=');
  assert.equal(base64Encode(await blake3(Uint8Array.of(1, 2, 3, 4, 5))), 'Ak9nwEJaPcAvuvWMuT3lEy49dcUZ+qC62iFJHYjJcFc=');
});

test('Crockford base32 round-trips and reads aliases', () => {
  const b = randomBytes(16);
  const s = crockfordEncode(b);
  assert.equal(s.length, 26);
  assert.deepEqual(crockfordDecode(s), b);
  assert.deepEqual(crockfordDecode(s.toLowerCase()), b);
  assert.throws(() => crockfordDecode('U0'));
});

test('secretbox round-trips, refuses tampering; empty stays empty', () => {
  const key = randomBytes(32);
  const box = encrypt(new TextEncoder().encode('secret'), key);
  assert.equal(box.length, 24 + 6 + 16);
  assert.equal(utf8Decode(decrypt(box, key)), 'secret');
  box[30] ^= 1;
  assert.throws(() => decrypt(box, key), /could not be decrypted/);
  assert.equal(encrypt(new Uint8Array(), key).length, 0);
  assert.throws(() => decrypt(randomBytes(10), key), /too short/);
});
