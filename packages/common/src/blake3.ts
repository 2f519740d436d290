import { blake3 as blake3Hex, createBLAKE3 } from 'hash-wasm';
import { hexToBytes } from './bytes.ts';

/** BLAKE3-256 of `data` (WASM; about 12× faster than pure JS). */
export async function blake3(data: Uint8Array): Promise<Uint8Array> {
  return hexToBytes(await blake3Hex(data));
}

export interface Blake3Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** An incremental BLAKE3-256 hasher, for contents that arrive in chunks. */
export async function createBlake3(): Promise<Blake3Hasher> {
  const h = await createBLAKE3();
  h.init();
  return {
    update(data) {
      h.update(data);
    },
    digest() {
      return h.digest('binary');
    },
  };
}
