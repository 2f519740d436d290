import { base32Decode, base32Encode } from './base32.ts';

/** Crockford base32 (session secrets, signup tokens, legacy event cursors): uppercase, no padding. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALIASES: Record<string, string> = { O: '0', I: '1', L: '1' };

export function crockfordEncode(bytes: Uint8Array): string {
  return base32Encode(bytes, ALPHABET);
}

/** Decodes Crockford base32; accepts lowercase and the usual aliases (O→0, I/L→1). */
export function crockfordDecode(s: string): Uint8Array {
  return base32Decode(
    s,
    (ch) => {
      const up = ch.toUpperCase();
      return ALPHABET.indexOf(ALIASES[up] ?? up);
    },
    'invalid_crockford',
    'base32',
  );
}
