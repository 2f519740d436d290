// hash-wasm's two BLAKE3 entry points, as a module of their own: blake3.ts imports it on first use,
// and a bundler still keeps only these two of hash-wasm's algorithms (a dynamic import of hash-wasm
// itself would pull in all of them).
export { blake3, createBLAKE3 } from 'hash-wasm';
