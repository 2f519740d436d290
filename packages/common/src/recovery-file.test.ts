import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hexToBytes } from './bytes.ts';
import type { PubkyError } from './errors.ts';
import { Keypair } from './keys.ts';
import { createRecoveryFile, decryptRecoveryFile } from './recovery-file.ts';

const SAMPLE =
  '7075626b792e6f72672f7265636f766572790a013c787bcf1111ec4a5715d0d09753558ac568da7041dc8b9e12538d869fc634455ff120533c681c9f403fe7e48bd7226b14f18341c16dd57028c0e3730b846c2e8132b5749f5ee2';

test('the sample recovery file of spec §11.5 decrypts', async () => {
  const kp = await decryptRecoveryFile(hexToBytes(SAMPLE), '');
  assert.equal(kp.secretKeyHex(), '49609e0565ea9dfe8eef9592eab947928f07aba6eaee8d81a0fd7ca8337cf463');
  assert.equal(kp.publicKey.z32, 'htbqf4wzp9c1qc5r77h86shpekcqop5icognmbwyb3szhkxnh5wy');
});

test('a written recovery file reads back, and a wrong passphrase is refused', async () => {
  const kp = Keypair.random();
  const file = await createRecoveryFile(kp, 'correct horse');
  assert.equal(file.length, 91);
  assert.equal(new TextDecoder().decode(file.subarray(0, 19)), 'pubky.org/recovery\n');
  assert.equal((await decryptRecoveryFile(file, 'correct horse')).publicKey.z32, kp.publicKey.z32);
  await assert.rejects(decryptRecoveryFile(file, 'wrong'), (e: PubkyError) => e.code === 'wrong_passphrase');
});

test('damaged recovery files get precise errors', async () => {
  const bytes = hexToBytes(SAMPLE);
  await assert.rejects(decryptRecoveryFile(bytes.subarray(0, 10), ''), (e: PubkyError) => e.code === 'invalid_recovery_file');
  await assert.rejects(decryptRecoveryFile(bytes.subarray(0, 60), ''), (e: PubkyError) => e.code === 'invalid_recovery_file');
  const other = Uint8Array.from(bytes);
  other[0] = 0x71; // "qubky.org/recovery"
  await assert.rejects(decryptRecoveryFile(other, ''), /unknown spec line/);
});
