import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from './bytes.ts';
import type { PubkyError } from './errors.ts';
import { decodeJws, signJws } from './jws.ts';
import { Keypair } from './keys.ts';

test('a signed JWS decodes and its signature covers header.payload', () => {
  const kp = Keypair.fromSecretKey(new Uint8Array(32));
  const token = signJws(kp, 'pubky-pop', { aud: 'x', iat: 1 });
  const d = decodeJws(token);
  assert.deepEqual(d.header, { alg: 'EdDSA', typ: 'pubky-pop' });
  assert.deepEqual(d.payload, { aud: 'x', iat: 1 });
  assert.equal(kp.publicKey.verify(d.signingInput, d.signature), true);
});

test('malformed JWS get invalid_jws, never another error', () => {
  const valid = signJws(Keypair.random(), 't', { a: 1 });
  const [h, p] = valid.split('.');
  const bad = ['', 'a.b', 'a.b.c.d', `${h}.${p}.AAAA`, `${h}.W10.${valid.split('.')[2]}`, `${h}=.${p}.x`, 'x'.repeat(20_000)];
  for (const s of bad)
    assert.throws(
      () => decodeJws(s),
      (e: PubkyError) => e.code === 'invalid_jws',
      s.slice(0, 40),
    );
  for (let i = 0; i < 1000; i++) {
    const s = Buffer.from(randomBytes(i % 120)).toString('latin1') + (i % 3 === 0 ? '.a.b' : '');
    assert.throws(
      () => decodeJws(s),
      (e: PubkyError) => e.code === 'invalid_jws',
    );
  }
});
