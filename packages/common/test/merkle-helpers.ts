// Test support for the Merkle tree tests in src/merkle (kept out of src: nothing ships it).
import type { LeafValue } from '../src/merkle/node-codec.ts';

/** A deterministic PRNG (xorshift32), so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

export function leafValueOf(n: number): LeafValue {
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setUint32(0, n);
  return { hash, length: n };
}
