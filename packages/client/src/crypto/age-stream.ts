// The age v1 payload (age-encryption.org/v1, "Payload"): STREAM over ChaCha20-Poly1305, 64 KiB
// plaintext chunks, nonce = 11-byte big-endian chunk counter ‖ 0x01 on the final chunk, else 0x00.
// Only the final chunk may be shorter than 64 KiB, and it is empty only when the whole file is.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { open, seal } from '#aead';
import { EncryptionError } from './encryption-error.ts';

export const CHUNK = 64 * 1024;
export const TAG = 16;
export const SEALED_CHUNK = CHUNK + TAG;
export const NONCE_SIZE = 16;

const PAYLOAD_LABEL = new TextEncoder().encode('payload');

/** The payload key: HKDF-SHA256(file key, salt = the header's 16-byte nonce, "payload"). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hkdf(sha256, fileKey, nonce, PAYLOAD_LABEL, 32);
}

export function chunkNonce(counter: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(12);
  // 11 bytes of counter; a Number holds 2^53, far beyond any file (2^53 × 64 KiB).
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    nonce[i] = c % 256;
    c = Math.floor(c / 256);
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Ciphertext payload size (without header and nonce) for a plaintext size. */
export function sealedSize(plainSize: number): number {
  const chunks = plainSize === 0 ? 1 : Math.ceil(plainSize / CHUNK);
  return plainSize + chunks * TAG;
}

/**
 * Plaintext size for a payload size (without header and nonce); throws `age_truncated` for a size
 * no age payload can have.
 */
export function plainSize(payloadSize: number): number {
  const chunks = Math.ceil(payloadSize / SEALED_CHUNK);
  const lastSealed = payloadSize - (chunks - 1) * SEALED_CHUNK;
  if (payloadSize < TAG || lastSealed < TAG || (chunks > 1 && lastSealed === TAG)) {
    throw new EncryptionError(
      'age_truncated',
      `an age payload of ${payloadSize} bytes cannot end in a whole final chunk: the file was cut short`,
    );
  }
  return payloadSize - chunks * TAG;
}

/** Opens chunk `counter`; `last` says whether it must be the final one. Never returns unauthenticated bytes. */
export function openChunk(key: Uint8Array, counter: number, last: boolean, sealed: Uint8Array): Uint8Array {
  const plain = open(key, chunkNonce(counter, last), sealed);
  if (plain !== null) {
    if (last && counter > 0 && plain.length === 0)
      throw new EncryptionError('age_payload_tampered', 'the age payload ends in an empty chunk after data');
    if (!last && plain.length !== CHUNK)
      throw new EncryptionError('age_payload_tampered', `chunk ${counter} is short but is not the final chunk`);
    return plain;
  }
  // A final-position chunk that opens as a middle chunk: the file was cut at a chunk boundary.
  if (last && sealed.length === SEALED_CHUNK && open(key, chunkNonce(counter, false), sealed) !== null) {
    throw new EncryptionError(
      'age_truncated',
      `the age payload stops after chunk ${counter}, which is not its final chunk: the file was cut short`,
    );
  }
  throw new EncryptionError(
    'age_payload_tampered',
    `chunk ${counter} of the age payload fails authentication: the file was changed, reordered or cut`,
  );
}

/**
 * Cuts a byte stream into pieces of `size` bytes, in constant memory (one piece buffered): every piece
 * that more data is known to follow goes to `middle(piece, counter)`, and what is left at the end
 * (possibly empty) to `final(rest, counter)`. Whole pieces of the input are handed over without a copy.
 */
function chunkedTransform(
  size: number,
  middle: (piece: Uint8Array, counter: number) => Uint8Array,
  final: (rest: Uint8Array, counter: number) => Uint8Array | null,
): TransformStream<Uint8Array, Uint8Array> {
  let buf = new Uint8Array(size);
  let fill = 0;
  let counter = 0;
  return new TransformStream({
    transform(data, controller) {
      let off = 0;
      while (off < data.length) {
        if (fill === 0 && data.length - off > size) {
          controller.enqueue(middle(data.subarray(off, off + size), counter++));
          off += size;
          continue;
        }
        // A full buffer is a middle piece only once more data is known to follow.
        if (fill === size) {
          controller.enqueue(middle(buf, counter++));
          buf = new Uint8Array(size);
          fill = 0;
        }
        const n = Math.min(size - fill, data.length - off);
        buf.set(data.subarray(off, off + n), fill);
        fill += n;
        off += n;
      }
    },
    flush(controller) {
      const out = final(buf.subarray(0, fill), counter);
      if (out) controller.enqueue(out);
    },
  });
}

/** Plaintext → sealed chunks, in constant memory (one chunk buffered). */
export function encryptTransform(key: Uint8Array): TransformStream<Uint8Array, Uint8Array> {
  return chunkedTransform(
    CHUNK,
    (piece, counter) => seal(key, chunkNonce(counter, false), piece),
    (rest, counter) => seal(key, chunkNonce(counter, true), rest),
  );
}

/** Sealed chunks → plaintext; a chunk's bytes are released only once it authenticates. */
export function decryptTransform(key: Uint8Array): TransformStream<Uint8Array, Uint8Array> {
  return chunkedTransform(
    SEALED_CHUNK,
    (piece, counter) => openChunk(key, counter, false, piece),
    (rest, counter) => {
      if (rest.length === 0) throw new EncryptionError('age_truncated', 'the age payload has no final chunk: the file was cut short');
      if (rest.length < TAG)
        throw new EncryptionError(
          'age_truncated',
          `the age payload ends in a ${rest.length}-byte fragment of a chunk: the file was cut short`,
        );
      const plain = openChunk(key, counter, true, rest);
      return plain.length > 0 ? plain : null;
    },
  );
}
