// ChaCha20-Poly1305 in browsers: @noble/ciphers (WebCrypto has no ChaCha20-Poly1305), selected by
// the `#aead` import condition.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

/** `ciphertext ‖ tag` of one chunk. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce).encrypt(plaintext);
}

/** Writes `ciphertext ‖ tag` of one chunk into `out` at `at`. */
export function sealInto(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array, at: number): void {
  out.set(chacha20poly1305(key, nonce).encrypt(plaintext), at);
}

/** The plaintext of `ciphertext ‖ tag`, or null when the tag does not verify. */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < 16) return null;
  try {
    return chacha20poly1305(key, nonce).decrypt(sealed);
  } catch {
    return null;
  }
}
