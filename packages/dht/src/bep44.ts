// BEP44 item rules: what is signed, where items live, and the limits every node applies.
import { createHash } from 'node:crypto';
import { PublicKey } from '@pubky-ts/common';

export const MAX_VALUE_BYTES = 1000;
export const MAX_SALT_BYTES = 64;

const te = new TextEncoder();

export function sha1(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** `[4:salt<len>:<salt>]3:seqi<seq>e1:v<len>:<v>` — the bytes an Ed25519 mutable-item signature covers. */
export function encodeSignable(seq: number, v: Uint8Array, salt?: Uint8Array): Uint8Array {
  const head = salt && salt.length > 0 ? concat(te.encode(`4:salt${salt.length}:`), salt) : new Uint8Array(0);
  return concat(head, te.encode(`3:seqi${seq}e1:v${v.length}:`), v);
}

/** sha1(k ‖ salt): the target of a mutable item. */
export function mutableTarget(key: Uint8Array, salt?: Uint8Array): Uint8Array {
  return salt && salt.length > 0 ? sha1(key, salt) : sha1(key);
}

/** sha1(bencode(v)) = sha1("<len>:" ‖ v): the target of an immutable byte-string item. */
export function immutableTarget(v: Uint8Array): Uint8Array {
  return sha1(te.encode(`${v.length}:`), v);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Verification is the hot path of both storing and getting: keep parsed keys (a bounded LRU).
const keyCache = new Map<string, PublicKey | null>();
const KEY_CACHE_MAX = 2048;

function cachedKey(k: Uint8Array): PublicKey | null {
  const hex = Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('hex');
  const hit = keyCache.get(hex);
  if (hit !== undefined) {
    keyCache.delete(hex);
    keyCache.set(hex, hit);
    return hit;
  }
  let key: PublicKey | null;
  try {
    key = PublicKey.fromBytes(k);
  } catch {
    key = null; // not a curve point: every signature under it is bad
  }
  keyCache.set(hex, key);
  if (keyCache.size > KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  return key;
}

export function verifyMutable(k: Uint8Array, seq: number, v: Uint8Array, sig: Uint8Array, salt?: Uint8Array): boolean {
  if (k.length !== 32 || sig.length !== 64) return false;
  const key = cachedKey(k);
  if (!key) return false;
  try {
    return key.verify(encodeSignable(seq, v, salt), sig);
  } catch {
    return false;
  }
}
