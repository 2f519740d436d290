import { ed25519 } from '@noble/curves/ed25519.js';
import type { Ed25519Backend } from './ed25519.ts';

/** Pure-JS backend for browsers. `zip215: false` is the closest to the reference's rules. */
export const backend: Ed25519Backend = {
  publicKey: (seed) => ed25519.getPublicKey(seed),
  sign: (seed, message) => ed25519.sign(message, seed),
  verify(publicKey, message, signature) {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  isValidPoint(publicKey) {
    try {
      ed25519.Point.fromBytes(publicKey, false);
      return true;
    } catch {
      return false;
    }
  },
};
