import { hexToBytes } from './bytes.ts';

/**
 * hash-wasm, loaded on first use: its module carries every algorithm's WASM and took a third of
 * the SDK's import time in Node (`npm run bench -- packaging`); both entry points are async anyway.
 */
let hashWasm: Promise<typeof import('./blake3-wasm.ts')> | undefined;
const wasm = () => (hashWasm ??= import('./blake3-wasm.ts'));

/** BLAKE3-256 of `data` (WASM; about 12× faster than pure JS). */
export async function blake3(data: Uint8Array): Promise<Uint8Array> {
  return hexToBytes(await (await wasm()).blake3(data));
}

export interface Blake3Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** An incremental BLAKE3-256 hasher, for contents that arrive in chunks. */
export async function createBlake3(): Promise<Blake3Hasher> {
  const h = await (await wasm()).createBLAKE3();
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
