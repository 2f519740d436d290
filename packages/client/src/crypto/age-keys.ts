// age keys from a pubky's Ed25519 key, by the birational map Edwards25519 → Curve25519 (the one
// libsodium's crypto_sign_ed25519_pk_to_curve25519 and age's ssh-ed25519 recipients use).
//
// Why the map rather than a published, signed X25519 key: anyone can encrypt to a pubky knowing only
// the public key, with no lookup, no record to publish and keep fresh, and no way for a homeserver or
// relay to substitute a key of its own; the user's age identity follows from the secret key or
// recovery file they already keep. Using one key pair for signatures and for X25519 key agreement is
// analysed and accepted practice (Thormarker, "On using the same key pair for Ed25519 and an X25519
// based KEM", 2021). The cost: a pubky cannot rotate its encryption key without a new pubky;
// per-directory keys (below) and share envelopes carry the rotation instead.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32 } from '@scure/base';
import { PublicKey, type Keypair } from '@pubky-ts/common';
import { EncryptionError } from './encryption-error.ts';

const RECIPIENT_HRP = 'age';
const IDENTITY_HRP = 'age-secret-key-';
const DIRECTORY_SALT = new TextEncoder().encode('pubky-ts/age/directory/v1');

/** An X25519 key pair for age: `identity` is the 32-byte scalar, `recipient` its public point. */
export interface AgeKeyPair {
  readonly identity: Uint8Array;
  readonly recipient: Uint8Array;
}

const montgomery = new Map<string, Uint8Array>();

/**
 * The X25519 point of a pubky (32 bytes). Cached: the map decompresses an Edwards point (~0.6 ms),
 * and every write encrypts to its owner.
 */
export function recipientOfPublicKey(publicKey: PublicKey): Uint8Array {
  let point = montgomery.get(publicKey.z32);
  if (!point) {
    point = ed25519.utils.toMontgomery(publicKey.bytes);
    if (montgomery.size >= 1024) montgomery.clear();
    montgomery.set(publicKey.z32, point);
  }
  return point;
}

/** The `age1…` recipient of a pubky, from its public key alone. */
export function ageRecipientOf(publicKey: PublicKey | string): string {
  return encodeRecipient(recipientOfPublicKey(typeof publicKey === 'string' ? PublicKey.parse(publicKey) : publicKey));
}

/** The user's own age key pair (the scalar is SHA-512(seed)[0..32], as libsodium converts it). */
export function ageKeyPairOf(keypair: Keypair): AgeKeyPair {
  const identity = ed25519.utils.toMontgomerySecret(keypair.secretKey);
  return { identity, recipient: x25519.getPublicKey(identity) };
}

/** `AGE-SECRET-KEY-1…` for a scalar: what `age -i` reads. */
export function encodeIdentity(identity: Uint8Array): string {
  if (identity.length !== 32) throw new EncryptionError('invalid_age_key', 'an age identity is 32 bytes');
  return bech32.encode(IDENTITY_HRP, bech32.toWords(identity), false).toUpperCase();
}

/** `age1…` for a public point. */
export function encodeRecipient(recipient: Uint8Array): string {
  if (recipient.length !== 32) throw new EncryptionError('invalid_age_key', 'an age recipient is 32 bytes');
  return bech32.encode(RECIPIENT_HRP, bech32.toWords(recipient), false);
}

/** The 32 bytes of an `age1…` recipient; throws `invalid_age_key` otherwise. */
export function decodeRecipient(text: string): Uint8Array {
  return decode(text, RECIPIENT_HRP, 'an age recipient (age1…)');
}

/** The 32-byte scalar of an `AGE-SECRET-KEY-1…` identity; throws `invalid_age_key` otherwise. */
export function decodeIdentity(text: string): Uint8Array {
  if (text !== text.toUpperCase())
    throw new EncryptionError('invalid_age_key', 'an age identity is written in upper case (AGE-SECRET-KEY-1…)');
  return decode(text.toLowerCase(), IDENTITY_HRP, 'an age identity (AGE-SECRET-KEY-1…)');
}

function decode(text: string, hrp: string, what: string): Uint8Array {
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(text as `${string}1${string}`, false);
  } catch {
    // The text may be a secret: never echo it.
    throw new EncryptionError('invalid_age_key', `this is not ${what}: its bech32 encoding does not check`);
  }
  if (decoded.prefix !== hrp) throw new EncryptionError('invalid_age_key', `this is not ${what}: it has the prefix "${decoded.prefix}"`);
  const bytes = bech32.fromWords(decoded.words);
  if (bytes.length !== 32) throw new EncryptionError('invalid_age_key', `this is not ${what}: it holds ${bytes.length} bytes, not 32`);
  return bytes;
}

/**
 * The keys of the user's directories, derived segment by segment from the user's age identity:
 * `K("/") = HKDF(identity, "/")`, `K(d + s + "/") = HKDF(K(d), s + "/")`. Whoever holds a directory's
 * key derives every key below it, and nothing above or beside it: that is what an app granted the
 * directory as its scope receives, and what a folder share hands over.
 */
export function rootDirectoryKey(userIdentity: Uint8Array): Uint8Array {
  return hkdf(sha256, userIdentity, DIRECTORY_SALT, new TextEncoder().encode('/'), 32);
}

/** The key of `dirPath` from the key of `basePath`, an ancestor of it (or itself); both end in `/`. */
export function deriveDirectoryKey(baseKey: Uint8Array, basePath: string, dirPath: string): Uint8Array {
  if (!basePath.endsWith('/') || !dirPath.endsWith('/') || !dirPath.startsWith(basePath)) {
    throw new EncryptionError('encryption_invalid_argument', `${dirPath} is not a directory inside ${basePath}`);
  }
  let key = baseKey;
  const rest = dirPath.slice(basePath.length);
  if (rest === '') return key;
  for (const segment of rest.slice(0, -1).split('/')) key = hkdf(sha256, key, DIRECTORY_SALT, new TextEncoder().encode(`${segment}/`), 32);
  return key;
}
