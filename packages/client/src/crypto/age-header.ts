// The age v1 header (age-encryption.org/v1, "Header" and "X25519 recipient type").
//
// Opening a header — parsing, finding the recipient's stanza, unwrapping the file key, checking the
// MAC — is the `age-encryption` package's (the format author's implementation): that is where
// hostile input lands. Writing one is ours, from the spec: the library's writer goes through
// WebCrypto's async X25519 (~4 ms a file here), most of an encrypted 1 KiB PUT; ours takes X25519
// from the `#x25519` platform file (node:crypto on Node). The tests check that the library and the
// age CLI open every header we write, and that our MAC equals the library's for its own headers.
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64nopad } from '@scure/base';
import type { Identity } from 'age-encryption';
import { open, seal } from '#aead';
import { ephemeralAgreement } from '#x25519';
import { EncryptionError } from './encryption-error.ts';
import { encodeIdentity } from './age-keys.ts';
import { NONCE_SIZE } from './age-stream.ts';

/** Largest header read before giving up (a header with a thousand recipients is ~120 KiB). */
const MAX_HEADER = 256 * 1024;

/**
 * age-encryption (only its Decrypter), loaded on first open: importing it eagerly was most of the
 * SDK's import time in Node (`npm run bench -- packaging`), and most apps never decrypt.
 */
let ageModule: Promise<typeof import('./age-library.ts')> | undefined;
const age = () => (ageModule ??= import('./age-library.ts'));

const VERSION_LINE = new TextEncoder().encode('age-encryption.org/v1\n');
const MAC_PREFIX = new TextEncoder().encode('\n--- ');
const X25519_LABEL = new TextEncoder().encode('age-encryption.org/v1/X25519');
const HEADER_LABEL = new TextEncoder().encode('header');
const ZERO_NONCE = new Uint8Array(12);
/**
 * Our own stanza type, for directory keys: `-> pubky-ts.org/dir <salt>`, the file key sealed with
 * HKDF-SHA256(directory key, salt, "pubky-ts.org/dir"). Symmetric (a few microseconds, where an
 * X25519 stanza costs two scalar multiplications), since only holders of the directory key write
 * or read it. age readers skip stanza types they do not know.
 */
export const DIR_STANZA = 'pubky-ts.org/dir';
const DIR_LABEL = new TextEncoder().encode(DIR_STANZA);

export interface NewHeader {
  /** The header through the MAC line's newline. */
  header: Uint8Array;
  /** The payload nonce that follows it. */
  nonce: Uint8Array;
  fileKey: Uint8Array;
}

/**
 * A header for these X25519 recipients (32-byte points) and directory keys (32 bytes), with a fresh
 * file key and nonce.
 */
export function createHeader(recipients: readonly Uint8Array[], directoryKeys: readonly Uint8Array[] = []): NewHeader {
  if (recipients.length + directoryKeys.length === 0)
    throw new EncryptionError('encryption_invalid_argument', 'an encrypted file needs at least one recipient');
  const fileKey = crypto.getRandomValues(new Uint8Array(16));
  let text = 'age-encryption.org/v1\n';
  for (const recipient of recipients) {
    const { share, secret } = ephemeralAgreement(recipient);
    if (secret.every((b) => b === 0))
      throw new EncryptionError('invalid_age_key', 'this age recipient is a low-order point: no key agreement with it is possible');
    const salt = new Uint8Array(64);
    salt.set(share);
    salt.set(recipient, 32);
    const wrapKey = hkdf(sha256, secret, salt, X25519_LABEL, 32);
    // A 32-byte body is one 43-character base64 line (shorter than 64: no empty line follows).
    text += `-> X25519 ${base64nopad.encode(share)}\n${base64nopad.encode(seal(wrapKey, ZERO_NONCE, fileKey))}\n`;
  }
  for (const dirKey of directoryKeys) {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    text += `-> ${DIR_STANZA} ${base64nopad.encode(salt)}\n${base64nopad.encode(seal(hkdf(sha256, dirKey, salt, DIR_LABEL, 32), ZERO_NONCE, fileKey))}\n`;
  }
  text += '---';
  const noMac = new TextEncoder().encode(text);
  const mac = headerMac(fileKey, noMac);
  const header = new TextEncoder().encode(`${text} ${base64nopad.encode(mac)}\n`);
  return { header, nonce: crypto.getRandomValues(new Uint8Array(NONCE_SIZE)), fileKey };
}

/** The header MAC for a header's bytes up to and including `---` (exported for the tests). */
export function headerMac(fileKey: Uint8Array, headerNoMac: Uint8Array): Uint8Array {
  return hmac(sha256, hkdf(sha256, fileKey, undefined, HEADER_LABEL, 32), headerNoMac);
}

/**
 * What can open a header: X25519 identities (scalars), directory keys, or file keys learned from
 * share envelopes.
 */
export interface HeaderKeys {
  identities?: readonly Uint8Array[];
  directoryKeys?: readonly Uint8Array[];
  fileKeys?: readonly Uint8Array[];
}

/**
 * The length of the header at the start of `bytes` (through the MAC line), or -1 when `bytes`
 * holds no complete header yet. Throws `age_malformed_header` when it is not an age v1 file at all.
 */
export function headerLength(bytes: Uint8Array): number {
  const head = Math.min(bytes.length, VERSION_LINE.length);
  for (let i = 0; i < head; i++) {
    if (bytes[i] !== VERSION_LINE[i])
      throw new EncryptionError('age_malformed_header', 'this is not an age v1 file (it does not start with "age-encryption.org/v1")');
  }
  const mac = indexOf(bytes, MAC_PREFIX, VERSION_LINE.length - 1);
  if (mac < 0) {
    if (bytes.length > MAX_HEADER) throw new EncryptionError('age_malformed_header', `the age header is longer than ${MAX_HEADER} bytes`);
    return -1;
  }
  const nl = bytes.indexOf(0x0a, mac + MAC_PREFIX.length);
  return nl < 0 ? -1 : nl + 1;
}

/**
 * The file key of a complete header, checked against its MAC. Identities are tried together (the
 * library picks the stanza); each file key from a share envelope alone, since a wrong one only shows
 * as a MAC mismatch.
 */
export async function openHeader(header: Uint8Array, keys: HeaderKeys): Promise<Uint8Array> {
  const identities = keys.identities ?? [];
  const dirKeys = keys.directoryKeys ?? [];
  const fileKeys = keys.fileKeys ?? [];
  if (identities.length + dirKeys.length + fileKeys.length === 0) {
    throw new EncryptionError('age_no_matching_key', 'no key to decrypt with: this file is encrypted and no identity or share was given');
  }
  const { Decrypter } = await age();
  if (identities.length + dirKeys.length > 0) {
    const decrypter = new Decrypter();
    for (const id of identities) decrypter.addIdentity(encodeIdentity(id));
    for (const dirKey of dirKeys) decrypter.addIdentity(directoryIdentity(dirKey));
    try {
      return await decrypter.decryptHeader(header);
    } catch (e) {
      const err = headerError(e);
      if (err.code !== 'age_no_matching_key' || fileKeys.length === 0) throw err;
    }
  }
  for (const fileKey of fileKeys) {
    const decrypter = new Decrypter();
    decrypter.addIdentity(knownFileKey(fileKey));
    try {
      return await decrypter.decryptHeader(header);
    } catch (e) {
      const err = headerError(e);
      if (err.code !== 'age_header_tampered') throw err;
    }
  }
  throw new EncryptionError(
    'age_no_matching_key',
    'none of the keys at hand opens this file: it is encrypted to other recipients, or a share no longer matches it',
  );
}

function directoryIdentity(dirKey: Uint8Array): Identity {
  return {
    unwrapFileKey(stanzas) {
      for (const s of stanzas) {
        if (s.args[0] !== DIR_STANZA) continue;
        if (s.args.length !== 2 || s.body.length !== 32)
          throw new EncryptionError(
            'age_malformed_header',
            `a ${DIR_STANZA} stanza has ${s.args.length} arguments and a ${s.body.length}-byte body`,
          );
        let salt: Uint8Array;
        try {
          salt = base64nopad.decode(s.args[1]!);
        } catch {
          throw new EncryptionError('age_malformed_header', `a ${DIR_STANZA} stanza's salt is not base64`);
        }
        const fileKey = open(hkdf(sha256, dirKey, salt, DIR_LABEL, 32), ZERO_NONCE, s.body);
        if (fileKey) return fileKey;
      }
      return null;
    },
  };
}

// The library accepts the key an identity returns only if the header's MAC verifies with it.
function knownFileKey(fileKey: Uint8Array): Identity {
  return { unwrapFileKey: () => fileKey };
}

function headerError(e: unknown): EncryptionError {
  if (e instanceof EncryptionError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes('no identity matched')) {
    return new EncryptionError('age_no_matching_key', 'none of the keys at hand opens this file: it is encrypted to other recipients');
  }
  if (msg.includes('invalid header HMAC')) {
    return new EncryptionError('age_header_tampered', 'the age header does not match its MAC: it was changed after it was written');
  }
  return new EncryptionError('age_malformed_header', `the age header does not parse: ${msg}`, { cause: e });
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = hay.indexOf(needle[0]!, from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(needle[0]!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
