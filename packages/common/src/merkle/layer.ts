import { sha256 } from '#sha256';

/** Longest key a node may hold (a storage path is at most 1024 bytes plus the root). */
export const MAX_KEY_BYTES = 4096;

/**
 * A key's layer: the number of leading zero bits of SHA-256(key), halved and rounded down. One key
 * in 4 reaches layer 1, one in 16 layer 2...: the tree's fanout is 4 (as atproto's MST).
 */
export function keyLayer(key: Uint8Array): number {
  const h = sha256(key);
  let zeros = 0;
  for (let i = 0; i < h.length; i++) {
    const b = h[i]!;
    if (b === 0) {
      zeros += 8;
      continue;
    }
    zeros += Math.clz32(b) - 24;
    break;
  }
  return zeros >> 1;
}
