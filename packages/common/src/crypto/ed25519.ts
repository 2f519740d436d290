/** The Ed25519 operations the rest of the code needs; one implementation per platform. */
export interface Ed25519Backend {
  /** Public key (32 bytes) of a 32-byte seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** RFC 8032 verification (non-canonical S refused), as the reference (dalek `verify`) does. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Whether 32 bytes decompress to a curve point. */
  isValidPoint(publicKey: Uint8Array): boolean;
}
