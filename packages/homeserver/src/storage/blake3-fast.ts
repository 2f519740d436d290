import { createBLAKE3, type IHasher } from 'hash-wasm';

/**
 * BLAKE3-256 of a small in-memory body with one long-lived WASM hasher, re-initialised per call.
 * common's one-shot `blake3()` goes through hash-wasm's async wrapper and a hex round trip on every
 * call (~2× the cost for a 1 KiB body); the calls here are synchronous once the hasher exists, so
 * they cannot interleave.
 */
let hasher: IHasher | null = null;
let loading: Promise<IHasher> | null = null;

export async function blake3Fast(data: Uint8Array): Promise<Uint8Array> {
  const h = hasher ?? (hasher = await (loading ??= createBLAKE3()));
  h.init();
  h.update(data);
  return h.digest('binary');
}
