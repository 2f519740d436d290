import { createBLAKE3, type IHasher } from 'hash-wasm';

/**
 * BLAKE3-256 of a small in-memory body with one long-lived WASM hasher, re-initialised per call.
 * common's one-shot `blake3()` goes through hash-wasm's async wrapper and a hex round trip on every
 * call (~2× the cost for a 1 KiB body). Once the hasher exists (after the first call) the result is
 * returned synchronously, so calls cannot interleave and a caller can skip the await.
 */
let hasher: IHasher | null = null;
let loading: Promise<IHasher> | null = null;

function loadBlake3Fast(): Promise<IHasher> {
  return (loading ??= createBLAKE3().then((h) => (hasher = h)));
}

export function blake3Fast(data: Uint8Array): Uint8Array | Promise<Uint8Array> {
  if (!hasher) return loadBlake3Fast().then(() => blake3Fast(data));
  hasher.init();
  hasher.update(data);
  // A plain Uint8Array over a copy in Node's buffer pool: the digest is a 32-byte typed array kept
  // on the V8 heap, and every later `.buffer` of it (Buffer views for SQLite, the ETag) would first
  // move it off-heap.
  const pooled = Buffer.from(hasher.digest('binary'));
  return new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.byteLength);
}
