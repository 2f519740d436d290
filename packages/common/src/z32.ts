import { base32Decode, base32Encode } from './base32.ts';

/** z-base-32 (the alphabet of PKARR keys): MSB-first 5-bit groups, no padding, lowercase. */
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

export function z32Encode(bytes: Uint8Array): string {
  return base32Encode(bytes, ALPHABET);
}

/**
 * Decodes z-base-32. Like the reference decoders, the pad bits of the last character are ignored,
 * so callers that need a canonical string re-encode and compare.
 */
export function z32Decode(s: string): Uint8Array {
  return base32Decode(s, (ch) => ALPHABET.indexOf(ch), 'invalid_z32', 'z-base-32');
}
