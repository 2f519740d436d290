// The age v1 header, written and checked by the `age-encryption` package (the format author's
// implementation): it makes the file key, wraps it in one X25519 stanza per recipient, MACs the
// header and draws the payload nonce. We only add the two things its public API does not give:
// the file key itself (for share envelopes and our own payload code) and finding where a header
// ends inside a byte stream.
import { Decrypter, Encrypter, type Identity } from 'age-encryption';
import { EncryptionError } from './encryption-error.ts';
import { encodeIdentity, encodeRecipient } from './age-keys.ts';
import { NONCE_SIZE, TAG } from './age-stream.ts';

/** Largest header read before giving up (a header with a thousand recipients is ~120 KiB). */
export const MAX_HEADER = 256 * 1024;

const VERSION_LINE = new TextEncoder().encode('age-encryption.org/v1\n');
const MAC_PREFIX = new TextEncoder().encode('\n--- ');

export interface NewHeader {
  /** The header through the MAC line's newline. */
  header: Uint8Array;
  /** The payload nonce that follows it. */
  nonce: Uint8Array;
  fileKey: Uint8Array;
}

/** A header for these X25519 recipients (32-byte points), with a fresh file key and nonce. */
export async function createHeader(recipients: readonly Uint8Array[]): Promise<NewHeader> {
  if (recipients.length === 0) throw new EncryptionError('encryption_invalid_argument', 'an encrypted file needs at least one recipient');
  const encrypter = new Encrypter();
  for (const r of recipients) encrypter.addRecipient(encodeRecipient(r));
  let fileKey: Uint8Array | undefined;
  // A recipient without a stanza of its own: the library hands every recipient the file key.
  encrypter.addRecipient({
    wrapFileKey(key: Uint8Array) {
      fileKey = Uint8Array.from(key);
      return [];
    },
  });
  // An empty file is header ‖ nonce ‖ one sealed empty chunk (the tag alone).
  const empty = await encrypter.encrypt(new Uint8Array(0));
  if (!fileKey) throw new Error('age-encryption did not hand out the file key');
  const end = empty.length - TAG;
  return { header: empty.subarray(0, end - NONCE_SIZE), nonce: empty.subarray(end - NONCE_SIZE, end), fileKey };
}

/** What can open a header: X25519 identities (scalars), or file keys learned from share envelopes. */
export interface HeaderKeys {
  identities?: readonly Uint8Array[];
  fileKeys?: readonly Uint8Array[];
}

/**
 * The length of the header at the start of `bytes` (through the MAC line), or -1 when `bytes`
 * holds no complete header yet. Throws `age_malformed_header` when it is not an age v1 file at all.
 */
export function headerLength(bytes: Uint8Array): number {
  const head = Math.min(bytes.length, VERSION_LINE.length);
  for (let i = 0; i < head; i++) {
    if (bytes[i] !== VERSION_LINE[i]) throw new EncryptionError('age_malformed_header', 'this is not an age v1 file (it does not start with "age-encryption.org/v1")');
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
  const fileKeys = keys.fileKeys ?? [];
  if (identities.length === 0 && fileKeys.length === 0) {
    throw new EncryptionError('age_no_matching_key', 'no key to decrypt with: this file is encrypted and no identity or share was given');
  }
  if (identities.length > 0) {
    const decrypter = new Decrypter();
    for (const id of identities) decrypter.addIdentity(encodeIdentity(id));
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
  throw new EncryptionError('age_no_matching_key', 'none of the keys at hand opens this file: it is encrypted to other recipients, or a share no longer matches it');
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
