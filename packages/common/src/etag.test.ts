import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake3 } from './blake3.ts';
import { utf8Encode } from './bytes.ts';
import { etagFromBase64, etagOfHash, hashFromEtag } from './etag.ts';

test('an ETag is the quoted base64 of the BLAKE3 hash, and reads back', async () => {
  const hash = await blake3(utf8Encode('hello'));
  const etag = etagOfHash(hash);
  assert.equal(etag, `"${Buffer.from(hash).toString('base64')}"`);
  assert.equal(etagFromBase64(Buffer.from(hash).toString('base64')), etag);
  assert.equal(hashFromEtag(etag), Buffer.from(hash).toString('base64'));
  assert.equal(hashFromEtag(` ${etag} `), Buffer.from(hash).toString('base64'));
});

test('ETags that are not a quoted 32-byte base64 hash read as null', () => {
  const b64 = Buffer.from(new Uint8Array(32).fill(7)).toString('base64');
  for (const bad of [
    null,
    '',
    b64,
    `W/"${b64}"`,
    `"${b64.slice(1)}"`,
    '"abc"',
    `"${Buffer.from(new Uint8Array(31)).toString('base64')}"`,
    `"${b64}`,
  ]) {
    assert.equal(hashFromEtag(bad), null, String(bad));
  }
});
