import { argon2idAsync } from '@noble/hashes/argon2.js';
import { concatBytes, utf8Decode, utf8Encode } from './bytes.ts';
import { commonError } from './errors.ts';
import { Keypair } from './keys.ts';
import { decrypt, encrypt } from './secretbox.ts';

const SPEC_LINE = 'pubky.org/recovery';
const LEGACY_SPEC_LINE = 'pkarr.org/recovery';

/** The recovery key: Argon2id v0x13, m = 19456 KiB, t = 2, p = 1, salt "recovery" (spec §1.3). */
export async function recoveryKey(passphrase: string): Promise<Uint8Array> {
  // noble rather than hash-wasm: hash-wasm refuses the empty passphrase the format allows (~0.3 s here).
  return argon2idAsync(utf8Encode(passphrase), utf8Encode('recovery'), { t: 2, m: 19456, p: 1, dkLen: 32 });
}

/** Encrypts a key pair into the reference's recovery-file format (`pubky.org/recovery\n` ‖ box). */
export async function createRecoveryFile(keypair: Keypair, passphrase: string): Promise<Uint8Array> {
  const key = await recoveryKey(passphrase);
  return concatBytes(utf8Encode(`${SPEC_LINE}\n`), encrypt(keypair.secretKey, key));
}

export async function decryptRecoveryFile(file: Uint8Array, passphrase: string): Promise<Keypair> {
  const newline = file.indexOf(0x0a);
  if (newline < 0) throw commonError('invalid_recovery_file', 'not a recovery file: no spec line');
  let spec: string;
  try {
    spec = utf8Decode(file.subarray(0, newline));
  } catch {
    throw commonError('invalid_recovery_file', 'not a recovery file: the spec line is not text');
  }
  if (!spec.startsWith(SPEC_LINE) && !spec.startsWith(LEGACY_SPEC_LINE)) {
    throw commonError('invalid_recovery_file', `not a recovery file: unknown spec line ${JSON.stringify(spec.slice(0, 40))}`);
  }
  const box = file.subarray(newline + 1);
  if (box.length !== 24 + 32 + 16) {
    throw commonError('invalid_recovery_file', `a recovery file holds 72 encrypted bytes, this one ${box.length}`);
  }
  let secret: Uint8Array;
  try {
    secret = decrypt(box, await recoveryKey(passphrase));
  } catch {
    throw commonError('wrong_passphrase', 'the recovery file could not be decrypted: wrong passphrase or damaged file');
  }
  return Keypair.fromSecretKey(secret);
}
