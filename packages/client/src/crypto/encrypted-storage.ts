// Encrypted files on a homeserver: the SDK encrypts before the PUT and decrypts after the GET, so
// the homeserver (its operator, backups, a thief of its database) only ever holds age ciphertext.
import { PublicKey } from '@pubky-ts/common';
import type { PublicStorage, PutBody, RequestOptions, SessionStorage } from '../storage.ts';
import { normalizePath, parseResourceAddress } from '../pubky-url.ts';
import { decodeRecipient, recipientOfPublicKey } from './age-keys.ts';
import {
  bytesStream,
  decryptAge,
  encryptAge,
  encryptAgeBytes,
  openAgeRanged,
  readAll,
  type ByteSource,
  type OpenedAgeFile,
} from './age-file.ts';
import { EncryptionError } from './encryption-error.ts';
import type { Keyring } from './keyring.ts';
import type { HeaderKeys } from './age-header.ts';
import { deleteShare, shareKeysFor, writeShare } from './shares.ts';

export interface PutEncryptedOptions extends RequestOptions {
  /** More readers: pubkys (z-base-32, `pubky://…` or PublicKey) or `age1…` recipients. */
  to?: ReadonlyArray<PublicKey | string>;
}

/** The bytes an age file starts with: how `pubky get` tells an encrypted file from a plain one. */
export const AGE_MAGIC = new TextEncoder().encode('age-encryption.org/v1\n');

export function isAgeFile(prefix: Uint8Array): boolean {
  if (prefix.length < AGE_MAGIC.length) return false;
  for (let i = 0; i < AGE_MAGIC.length; i++) if (prefix[i] !== AGE_MAGIC[i]) return false;
  return true;
}

/**
 * Encrypted reads and writes over a session's storage (or public storage, for reading what others
 * shared). Paths are the storage's: `/priv/app/x` in the session's own tree, `pubky://<user>/…`
 * anywhere.
 *
 * ```ts
 * const enc = new EncryptedStorage(session.storage, Keyring.fromKeypair(keypair));
 * await enc.putEncrypted('/priv/notes/today.txt', 'hello', { to: [bobPubky] });
 * const text = new TextDecoder().decode(await enc.getDecrypted('/priv/notes/today.txt'));
 * ```
 */
export class EncryptedStorage {
  constructor(
    readonly storage: SessionStorage | PublicStorage,
    readonly keyring: Keyring,
  ) {}

  /**
   * Encrypts `body` to the owner, the file's directory key (when held) and `options.to`, then PUTs
   * it. Streams are encrypted as they are sent, 64 KiB at a time. Resolves with the file key
   * (what a share envelope hands a reader; keep it secret).
   */
  async putEncrypted(path: string, body: PutBody, options: PutEncryptedOptions = {}): Promise<Uint8Array> {
    const { owner, path: p } = this.address(path);
    const { recipients, directoryKeys } = this.keyring.recipientsFor(owner, p);
    recipients.push(...(options.to ?? []).map(recipientOf));
    const storage = this.session();
    const put = { contentType: 'application/octet-stream', signal: options.signal };
    const bytes = asBytes(body);
    if (bytes) {
      // Small bodies go as one buffer: a streamed fetch body costs more than the encryption.
      const file = await encryptAgeBytes(bytes, recipients, directoryKeys);
      await storage.put(path, file.bytes, put);
      return file.fileKey;
    }
    const file = await encryptAge(plainStream(body), recipients, directoryKeys);
    await storage.put(path, file.stream, put);
    return file.fileKey;
  }

  /** The decrypted file. A plain (unencrypted) file is an `age_malformed_header` error. */
  async getDecrypted(address: string, options: RequestOptions = {}): Promise<Uint8Array> {
    return readAll(await this.getDecryptedStream(address, options));
  }

  async getDecryptedText(address: string, options: RequestOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.getDecrypted(address, options));
  }

  /**
   * The decrypted file as a stream, in constant memory; a cut or tampered payload errors it. A file
   * of another user that none of our keys opens is retried with the share envelopes they left us.
   */
  async getDecryptedStream(address: string, options: RequestOptions = {}): Promise<ReadableStream<Uint8Array>> {
    return this.withShares(address, async (keys) => decryptAge(await this.storage.getStream(address, options), keys));
  }

  /**
   * Shares a file (its key: the content is not re-encrypted or re-uploaded) or a directory ending
   * in `/` (its key: files added later are readable too) with `reader`, by public key alone.
   */
  async share(path: string, reader: PublicKey | string): Promise<void> {
    await writeShare(this.session(), this.keyring, this.address(path).path, toKey(reader));
  }

  /**
   * Removes the reader's envelope. It cannot take back what they already opened or kept: a file
   * key they fetched opens the file until it is rewritten (putEncrypted makes a new key), and a
   * directory key opens everything below it that was, or will be, written with it.
   */
  async unshare(path: string, reader: PublicKey | string): Promise<void> {
    await deleteShare(this.session(), this.address(path).path, toKey(reader));
  }

  private session(): SessionStorage {
    const storage = this.storage as SessionStorage;
    if (typeof storage.put !== 'function')
      throw new EncryptionError('encryption_invalid_argument', "writing needs a session's storage (session.storage)");
    return storage;
  }

  private async withShares<T>(address: string, open: (keys: HeaderKeys) => Promise<T>): Promise<T> {
    const { owner, path } = this.address(address);
    const keys = this.keyring.keysFor(owner, path);
    try {
      return await open(keys);
    } catch (e) {
      if (!(e instanceof EncryptionError) || e.code !== 'age_no_matching_key' || owner.equals(this.keyring.user)) throw e;
      const shared = await shareKeysFor(this.storage, this.keyring, owner, path);
      if ((shared.fileKeys?.length ?? 0) + (shared.directoryKeys?.length ?? 0) === 0) throw e;
      return open({
        ...keys,
        fileKeys: [...(keys.fileKeys ?? []), ...(shared.fileKeys ?? [])],
        directoryKeys: [...(keys.directoryKeys ?? []), ...(shared.directoryKeys ?? [])],
      });
    }
  }

  /**
   * Opens an encrypted file for ranged reads: HTTP Range requests fetch only the header and then
   * the 64 KiB chunks a range lies in. Every read is pinned to the version first read (If-Range):
   * if the file changes meanwhile, the read fails instead of mixing two versions.
   */
  async openRanged(address: string, options: RequestOptions = {}): Promise<OpenedAgeFile> {
    return this.withShares(address, (keys) => openAgeRanged(storageSource(this.storage, address, options), keys));
  }

  private address(address: string): { owner: PublicKey; path: string } {
    if (address.startsWith('/')) return { owner: this.keyring.user, path: normalizePath(address).path };
    const t = parseResourceAddress(address);
    return { owner: t.owner, path: t.path };
  }
}

/** A byte source over HTTP Range reads of one stored file. */
export function storageSource(storage: SessionStorage | PublicStorage, address: string, options: RequestOptions = {}): ByteSource {
  let size = -1;
  let etag: string | null = null;
  // The first read (which holds the header in almost every file) also answers the later header read.
  let head: Uint8Array = new Uint8Array(0);
  let first: Promise<void> | undefined;
  const probe = () =>
    (first ??= storage.getRange(address, { start: 0, end: 4095 }, options).then((r) => {
      size = r.size;
      etag = r.etag;
      head = r.bytes.subarray(0, r.end + 1);
    }));
  return {
    async size() {
      await probe();
      return size;
    },
    async read(offset, length) {
      await probe();
      if (length === 0) return new Uint8Array(0);
      if (offset + length <= head.length) return head.subarray(offset, offset + length);
      const r = await storage.getRange(
        address,
        { start: offset, end: offset + length - 1 },
        { ...options, ...(etag ? { ifRange: etag } : {}) },
      );
      if (etag && r.etag !== etag)
        throw new EncryptionError('encrypted_file_changed', `${address} changed while it was being read; open it again`);
      return r.bytes;
    },
  };
}

function toKey(who: PublicKey | string): PublicKey {
  if (who instanceof PublicKey) return who;
  const key = PublicKey.tryParse(who);
  if (!key) throw new EncryptionError('encryption_invalid_argument', `${JSON.stringify(who.slice(0, 80))} is not a pubky`);
  return key;
}

function recipientOf(who: PublicKey | string): Uint8Array {
  return typeof who === 'string' && who.startsWith('age1') ? decodeRecipient(who) : recipientOfPublicKey(toKey(who));
}

function asBytes(body: PutBody): Uint8Array | null {
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (typeof body === 'string') return new TextEncoder().encode(body);
  return null;
}

function plainStream(body: PutBody): ReadableStream<Uint8Array> {
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.stream() as ReadableStream<Uint8Array>;
  if (body instanceof ReadableStream) return body;
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await it.next();
        if (done) controller.close();
        else if (!(value instanceof Uint8Array))
          controller.error(new EncryptionError('encryption_invalid_argument', 'a streamed body must yield Uint8Array chunks'));
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await it.return?.(reason);
      },
    });
  }
  const bytes = asBytes(body);
  if (bytes) return bytesStream(bytes);
  throw new EncryptionError('encryption_invalid_argument', 'a body is bytes, text, a Blob, a ReadableStream or an AsyncIterable of bytes');
}
