// pubky.app ids (pubky-app-specs 0.x): timestamp ids for posts and files, hash ids for tags,
// bookmarks and feeds, all in uppercase Crockford base32.
import { blake3, crockfordDecode, crockfordEncode, nowMicros } from '@pubky-ts/common';

/** 13 Crockford characters: a big-endian u64 of microseconds since the Unix epoch. */
export const TIMESTAMP_ID_LENGTH = 13;
/** 26 Crockford characters: the first 16 bytes of a BLAKE3 digest. */
export const HASH_ID_LENGTH = 26;

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]+$/;

/** A timestamp id for `micros` (default: now, strictly increasing within this process). */
export function timestampId(micros: number = nowMicros()): string {
  if (!Number.isSafeInteger(micros) || micros < 0)
    throw new RangeError(`a timestamp id needs a non-negative integer of microseconds, got ${micros}`);
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(micros));
  return crockfordEncode(bytes);
}

/** The microseconds a timestamp id encodes, or null when `id` is not one (wrong length, alphabet, or lowercase). */
export function parseTimestampId(id: string): number | null {
  if (id.length !== TIMESTAMP_ID_LENGTH || !CROCKFORD.test(id)) return null;
  let bytes: Uint8Array;
  try {
    bytes = crockfordDecode(id);
  } catch {
    return null;
  }
  if (bytes.length !== 8) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  // Re-encoding must give the same text: rejects non-zero padding bits.
  return timestampId(Number(v)) === id ? Number(v) : null;
}

/** BLAKE3 of the UTF-8 text, first half, Crockford base32. */
export async function hashId(text: string): Promise<string> {
  const digest = await blake3(new TextEncoder().encode(text));
  return crockfordEncode(digest.subarray(0, 16));
}

/** A tag's id: hash of `"<uri>:<label>"`. */
export function tagId(uri: string, label: string): Promise<string> {
  return hashId(`${uri}:${label}`);
}

/** A bookmark's id: hash of the bookmarked URI. */
export function bookmarkId(uri: string): Promise<string> {
  return hashId(uri);
}

export function isHashIdShape(id: string): boolean {
  return id.length === HASH_ID_LENGTH && CROCKFORD.test(id);
}
