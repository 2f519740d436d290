import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { backend as noble } from './ed25519-noble.ts';
import type { Ed25519Backend } from './ed25519.ts';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// Importing a raw key costs as much as a verification; keep the KeyObjects of recent keys.
const MAX_CACHED = 4096;
const publicKeys = new Map<string, KeyObject>();
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

function publicKeyObject(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  let key = publicKeys.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    if (publicKeys.size >= MAX_CACHED) publicKeys.delete(publicKeys.keys().next().value as string);
    publicKeys.set(id, key);
  }
  return key;
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  let key = privateKeys.get(seed);
  if (key === undefined) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    privateKeys.set(seed, key);
  }
  return key;
}

/** node:crypto backend: about 12× faster than pure JS. Point validation stays with noble. */
export const backend: Ed25519Backend = {
  publicKey(seed) {
    const der = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(der.subarray(SPKI_PREFIX.length));
  },
  sign: (seed, message) => new Uint8Array(sign(null, message, privateKeyObject(seed))),
  verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return verify(null, message, publicKeyObject(publicKey), signature);
    } catch {
      return false;
    }
  },
  isValidPoint: noble.isValidPoint,
};
