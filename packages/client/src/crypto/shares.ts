// Shares: a reader gets a file's key or a directory's key without the content being re-encrypted or
// re-uploaded. The key travels in an envelope, a small age file encrypted to the reader, stored in
// the owner's public tree at a path the reader computes from (reader, shared path):
//
//   /pub/pubky-ts.shares/<reader z32>/<hex SHA-256 of the shared path>
//
// A file envelope holds the file key (it opens that file as it is now: a rewrite makes a new key);
// a directory envelope holds the directory key (it opens every file below, including later ones).
// The envelope's name shows to anyone that the owner shares *something* with the reader; what, and
// the key, only the reader can open.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8Decode, utf8Encode, type PublicKey } from '@pubky-ts/common';
import { base64nopad } from '@scure/base';
import type { PublicStorage, SessionStorage } from '../storage.ts';
import { decryptAgeBytes, encryptAgeBytes } from './age-file.ts';
import { headerLength, openHeader, type HeaderKeys } from './age-header.ts';
import { deriveDirectoryKey, recipientOfPublicKey } from './age-keys.ts';
import { EncryptionError } from './encryption-error.ts';
import { dirOf, type Keyring } from './keyring.ts';

export const SHARES_ROOT = '/pub/pubky-ts.shares/';

/** Where the owner keeps the envelope of `path` (a file, or a directory ending in `/`) for `reader`. */
export function envelopePath(reader: PublicKey, path: string): string {
  return `${SHARES_ROOT}${reader.z32}/${bytesToHex(sha256(utf8Encode(path)))}`;
}

interface Envelope {
  v: 1;
  path: string;
  /** base64: a 16-byte file key, or a 32-byte directory key. */
  key: string;
}

/** The owner's side: writes the envelope of `path` for `reader`. */
export async function writeShare(storage: SessionStorage, keyring: Keyring, path: string, reader: PublicKey): Promise<void> {
  let key: Uint8Array;
  if (path.endsWith('/')) {
    const dirKey = keyring.directoryKey(path);
    if (!dirKey)
      throw new EncryptionError(
        'encryption_invalid_argument',
        `no key for ${path} is at hand: sharing a directory needs the user's key or a scope covering it`,
      );
    key = dirKey;
  } else {
    // Only the header is fetched: the content stays where it is.
    const head = await storage.getRange(path, { start: 0, end: 64 * 1024 - 1 });
    const end = headerLength(head.bytes);
    if (end < 0) throw new EncryptionError('age_malformed_header', `${path} has no complete age header in its first 64 KiB`);
    key = await openHeader(head.bytes.subarray(0, end), keyring.keysFor(keyring.user, path));
  }
  const envelope: Envelope = { v: 1, path, key: base64nopad.encode(key) };
  const { bytes } = await encryptAgeBytes(utf8Encode(JSON.stringify(envelope)), [recipientOfPublicKey(reader)]);
  await storage.put(envelopePath(reader, path), bytes, { contentType: 'application/octet-stream' });
}

/** The owner's side: removes the envelope. What the reader already fetched, they keep. */
export async function deleteShare(storage: SessionStorage, path: string, reader: PublicKey): Promise<void> {
  await storage.delete(envelopePath(reader, path));
}

/**
 * The reader's side: keys from the envelopes `owner` left for this keyring's user, for `path` and
 * each directory above it (nearest first). Missing envelopes are skipped; a broken one is an error.
 */
export async function shareKeysFor(
  storage: SessionStorage | PublicStorage,
  keyring: Keyring,
  owner: PublicKey,
  path: string,
): Promise<HeaderKeys> {
  const me = keyring.user;
  const candidates = [path];
  for (let dir = dirOf(path); dir.length > 1; dir = dirOf(dir.slice(0, -1))) candidates.push(dir);
  candidates.push('/');
  const found = await Promise.all(
    candidates.map(async (p) => {
      const address = `pubky://${owner.z32}${envelopePath(me, p)}`;
      let bytes: Uint8Array;
      try {
        bytes = await storage.getBytes(address);
      } catch (e) {
        if ((e as { code?: string }).code === 'not_found') return null;
        throw e;
      }
      let envelope: Envelope;
      try {
        envelope = JSON.parse(utf8Decode(await decryptAgeBytes(bytes, keyring.keysFor(me, '/'))));
      } catch (e) {
        if (e instanceof EncryptionError && e.code === 'age_no_matching_key') return null;
        throw new EncryptionError('invalid_share', `the share envelope for ${p} does not open or parse`, { cause: e });
      }
      if (envelope?.v !== 1 || envelope.path !== p || typeof envelope.key !== 'string')
        throw new EncryptionError(
          'invalid_share',
          `the share envelope for ${p} names ${JSON.stringify(String(envelope?.path).slice(0, 80))}`,
        );
      return { path: p, key: base64nopad.decode(envelope.key) };
    }),
  );
  const fileKeys: Uint8Array[] = [];
  const directoryKeys: Uint8Array[] = [];
  for (const f of found) {
    if (!f) continue;
    if (f.path.endsWith('/')) {
      if (f.key.length !== 32) throw new EncryptionError('invalid_share', `the share envelope for ${f.path} holds no directory key`);
      directoryKeys.push(deriveDirectoryKey(f.key, f.path, dirOf(path)));
    } else {
      if (f.key.length !== 16) throw new EncryptionError('invalid_share', `the share envelope for ${f.path} holds no file key`);
      fileKeys.push(f.key);
    }
  }
  return { fileKeys, directoryKeys };
}
