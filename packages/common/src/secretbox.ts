import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { concatBytes, randomBytes } from './bytes.ts';
import { commonError } from './errors.ts';

const NONCE_LENGTH = 24;

/**
 * XSalsa20-Poly1305 (NaCl secretbox) with a random nonce: `nonce(24) ‖ ciphertext ‖ tag(16)`.
 * As in the reference, an empty plaintext encrypts to an empty output.
 */
export function encrypt(plaintext: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw commonError('invalid_key', 'an encryption key is 32 bytes');
  if (plaintext.length === 0) return new Uint8Array(0);
  const nonce = randomBytes(NONCE_LENGTH);
  return concatBytes(nonce, xsalsa20poly1305(key, nonce).encrypt(plaintext));
}

export function decrypt(box: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw commonError('invalid_key', 'an encryption key is 32 bytes');
  if (box.length === 0) return new Uint8Array(0);
  if (box.length < NONCE_LENGTH + 16) throw commonError('decryption_failed', 'the encrypted message is too short');
  try {
    return xsalsa20poly1305(key, box.subarray(0, NONCE_LENGTH)).decrypt(box.subarray(NONCE_LENGTH));
  } catch {
    throw commonError('decryption_failed', 'the message could not be decrypted: wrong key or corrupted data');
  }
}
