import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blake3, bytesToHex } from '@pubky-ts/common';
import { blake3Fast } from './blake3-fast.ts';

test('blake3Fast matches the one-shot hash, returns independent arrays, survives concurrent calls', async () => {
  assert.equal(bytesToHex(await blake3Fast(new Uint8Array(0))), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
  const inputs = Array.from({ length: 20 }, (_, i) => new Uint8Array(i * 97).fill(i));
  const got = await Promise.all(inputs.map((b) => blake3Fast(b)));
  for (let i = 0; i < inputs.length; i++) assert.equal(bytesToHex(got[i]!), bytesToHex(await blake3(inputs[i]!)), `input ${i}`);
  const first = await blake3Fast(Uint8Array.of(1));
  const copy = bytesToHex(first);
  await blake3Fast(Uint8Array.of(2));
  assert.equal(bytesToHex(first), copy, 'a later call does not overwrite an earlier result');
  const now = blake3Fast(Uint8Array.of(3));
  assert.ok(now instanceof Uint8Array, 'once loaded, the hash is returned synchronously');
  assert.equal(bytesToHex(now), bytesToHex(await blake3(Uint8Array.of(3))));
});
