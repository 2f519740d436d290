// X25519 in browsers: @noble/curves, selected by the `#x25519` import condition (synchronous, and
// the same in every browser, unlike WebCrypto's X25519).
import { x25519 } from '@noble/curves/ed25519.js';

/** A fresh ephemeral share (its public point) and its shared secret with `recipient`. */
export function ephemeralAgreement(recipient: Uint8Array): { share: Uint8Array; secret: Uint8Array } {
  const ephemeral = x25519.utils.randomSecretKey();
  return { share: x25519.getPublicKey(ephemeral), secret: x25519.getSharedSecret(ephemeral, recipient) };
}
