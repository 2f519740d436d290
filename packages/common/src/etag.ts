// The ETag of a homeserver file is its BLAKE3 hash, standard base64, quoted (homeserver spec §2.5).
// The server writes it, the SDK checks bodies against it, a mirror compares it with its primary's.
import { base64Decode, base64Encode } from './bytes.ts';

/** Quotes the base64 of a hash (servers that already hold the base64, e.g. from Node's Buffer). */
export function etagFromBase64(hashBase64: string): string {
  return `"${hashBase64}"`;
}

/** The ETag of a body with this 32-byte BLAKE3 hash. */
export function etagOfHash(hash: Uint8Array): string {
  return etagFromBase64(base64Encode(hash));
}

/** The base64 BLAKE3 inside a quoted ETag, or null when the ETag is not one (a weak ETag is not). */
export function hashFromEtag(etag: string | null): string | null {
  if (!etag) return null;
  const m = /^"([A-Za-z0-9+/]{43}=)"$/.exec(etag.trim());
  if (!m) return null;
  try {
    return base64Decode(m[1]).length === 32 ? m[1] : null;
  } catch {
    return null;
  }
}
