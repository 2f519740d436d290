// Whole age v1 files: header (age-header.ts) + nonce + STREAM payload (age-stream.ts), as streams
// in constant memory, and ranged reads that fetch and open only the chunks a range touches.
import { EncryptionError } from './encryption-error.ts';
import { createHeader, headerLength, openHeader, type HeaderKeys } from './age-header.ts';
import { sealInto } from '#aead';
import {
  CHUNK,
  chunkNonce,
  decryptTransform,
  encryptTransform,
  NONCE_SIZE,
  openChunk,
  payloadKey,
  plainSize,
  SEALED_CHUNK,
  sealedSize,
  TAG,
} from './age-stream.ts';

export interface EncryptedFile {
  /** header ‖ nonce ‖ payload, produced as the plaintext is read. */
  stream: ReadableStream<Uint8Array>;
  /** The file key: what a share envelope hands a reader. Keep it secret. */
  fileKey: Uint8Array;
  /** The ciphertext size for a plaintext size (for Content-Length when the plaintext size is known). */
  size(plainSize: number): number;
}

/** Encrypts a plaintext stream to X25519 recipients (32-byte points) and directory keys. */
export async function encryptAge(
  plaintext: ReadableStream<Uint8Array>,
  recipients: readonly Uint8Array[],
  directoryKeys: readonly Uint8Array[] = [],
): Promise<EncryptedFile> {
  const { header: head, nonce, fileKey } = createHeader(recipients, directoryKeys);
  const prefix = concat(head, nonce);
  const payload = plaintext.pipeThrough(encryptTransform(payloadKey(fileKey, nonce)));
  const reader = payload.getReader();
  let sentPrefix = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentPrefix) {
        sentPrefix = true;
        controller.enqueue(prefix);
        return;
      }
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        controller.error(e);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { stream, fileKey, size: (n) => prefix.length + sealedSize(n) };
}

/** Encrypts bytes at once. */
export async function encryptAgeBytes(
  plaintext: Uint8Array,
  recipients: readonly Uint8Array[],
  directoryKeys: readonly Uint8Array[] = [],
): Promise<{ bytes: Uint8Array; fileKey: Uint8Array }> {
  // In one piece, without streams: the usual case for small files, where stream plumbing would cost
  // more than the cipher.
  const { header: head, nonce, fileKey } = createHeader(recipients, directoryKeys);
  const key = payloadKey(fileKey, nonce);
  const out = allocUnsafe(head.length + NONCE_SIZE + sealedSize(plaintext.length));
  out.set(head);
  out.set(nonce, head.length);
  let at = head.length + NONCE_SIZE;
  for (let off = 0, counter = 0; ; off += CHUNK, counter++) {
    const last = off + CHUNK >= plaintext.length;
    const piece = plaintext.subarray(off, off + CHUNK);
    sealInto(key, chunkNonce(counter, last), piece, out, at);
    at += piece.length + TAG;
    if (last) break;
  }
  return { bytes: out, fileKey };
}

/**
 * Decrypts an age file stream. The header is checked (recipient and MAC) before the returned
 * promise resolves; each payload chunk is released only once it authenticates, and a cut, tampered
 * or reordered payload errors the stream with an `EncryptionError`.
 */
export async function decryptAge(ciphertext: ReadableStream<Uint8Array>, keys: HeaderKeys): Promise<ReadableStream<Uint8Array>> {
  const reader = ciphertext.getReader();
  let buffered: Uint8Array = new Uint8Array(0);
  let end = -1;
  try {
    while ((end = headerLength(buffered)) < 0 || buffered.length < end + NONCE_SIZE) {
      const { done, value } = await reader.read();
      if (done) {
        throw end < 0
          ? new EncryptionError('age_malformed_header', 'the file ends inside its age header')
          : new EncryptionError('age_truncated', 'the file ends before its payload nonce');
      }
      buffered = concat(buffered, value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
  const fileKey = await openHeader(buffered.subarray(0, end), keys).catch(async (e) => {
    await reader.cancel().catch(() => {});
    throw e;
  });
  const key = payloadKey(fileKey, buffered.subarray(end, end + NONCE_SIZE));
  const rest = buffered.subarray(end + NONCE_SIZE);
  const payload = new ReadableStream<Uint8Array>({
    start(controller) {
      if (rest.length > 0) controller.enqueue(rest);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return payload.pipeThrough(decryptTransform(key));
}

/** Decrypts a whole file in memory (no streams: one output buffer, one pass). */
export async function decryptAgeBytes(ciphertext: Uint8Array, keys: HeaderKeys): Promise<Uint8Array> {
  const end = headerLength(ciphertext);
  if (end < 0) throw new EncryptionError('age_malformed_header', 'the file ends inside its age header');
  const fileKey = await openHeader(ciphertext.subarray(0, end), keys);
  if (ciphertext.length < end + NONCE_SIZE) throw new EncryptionError('age_truncated', 'the file ends before its payload nonce');
  const key = payloadKey(fileKey, ciphertext.subarray(end, end + NONCE_SIZE));
  const payload = ciphertext.subarray(end + NONCE_SIZE);
  const out = allocUnsafe(plainSize(payload.length));
  const chunks = Math.ceil(payload.length / SEALED_CHUNK);
  for (let i = 0; i < chunks; i++)
    out.set(openChunk(key, i, i === chunks - 1, payload.subarray(i * SEALED_CHUNK, (i + 1) * SEALED_CHUNK)), i * CHUNK);
  return out;
}

// Output buffers are written whole before they are returned: no need to zero them first. A plain
// Uint8Array over its own memory (not a Buffer, not Node's shared pool).
function allocUnsafe(n: number): Uint8Array {
  if (typeof Buffer === 'undefined') return new Uint8Array(n);
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** Random access to a stored file: its size, and the bytes of `[offset, offset + length)`. */
export interface ByteSource {
  size(): Promise<number>;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** What a ranged reader learns once from the header. */
export interface OpenedAgeFile {
  /** Plaintext size. */
  readonly size: number;
  /** Plaintext bytes `[start, end)`, fetching and opening only the chunks they lie in. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Opens an age file over a byte source for ranged reads: one read for the header, then per range. */
export async function openAgeRanged(source: ByteSource, keys: HeaderKeys, headerGuess = 4096): Promise<OpenedAgeFile> {
  const total = await source.size();
  let head = await source.read(0, Math.min(total, headerGuess));
  let end: number;
  while ((end = headerLength(head)) < 0) {
    if (head.length >= total) throw new EncryptionError('age_malformed_header', 'the file ends inside its age header');
    head = await source.read(0, Math.min(total, head.length * 4));
  }
  if (total < end + NONCE_SIZE) throw new EncryptionError('age_truncated', 'the file ends before its payload nonce');
  const fileKey = await openHeader(head.subarray(0, end), keys);
  const nonce = head.length >= end + NONCE_SIZE ? head.subarray(end, end + NONCE_SIZE) : await source.read(end, NONCE_SIZE);
  const key = payloadKey(fileKey, nonce);
  const payloadStart = end + NONCE_SIZE;
  const size = plainSize(total - payloadStart);
  const chunks = Math.max(1, Math.ceil(size / CHUNK));
  return {
    size,
    async read(start, stop) {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop) || start < 0 || stop < start || stop > size) {
        throw new EncryptionError('encryption_invalid_argument', `the range [${start}, ${stop}) is outside the ${size}-byte plaintext`);
      }
      if (start === stop) return new Uint8Array(0);
      const first = Math.floor(start / CHUNK);
      const last = Math.floor((stop - 1) / CHUNK);
      const from = payloadStart + first * SEALED_CHUNK;
      const to = Math.min(total, payloadStart + (last + 1) * SEALED_CHUNK);
      const sealed = await source.read(from, to - from);
      if (sealed.length !== to - from) throw new EncryptionError('age_truncated', 'the stored file is shorter than its size said');
      const out = new Uint8Array(stop - start);
      for (let i = first; i <= last; i++) {
        const at = (i - first) * SEALED_CHUNK;
        const plain = openChunk(key, i, i === chunks - 1, sealed.subarray(at, Math.min(sealed.length, at + SEALED_CHUNK)));
        const chunkStart = i * CHUNK;
        const lo = Math.max(start, chunkStart) - chunkStart;
        const hi = Math.min(stop, chunkStart + plain.length) - chunkStart;
        out.set(plain.subarray(lo, hi), chunkStart + lo - start);
      }
      return out;
    },
  };
}

export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
