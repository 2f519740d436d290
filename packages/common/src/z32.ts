import { PubkyError } from './errors.ts';

/** z-base-32 (the alphabet of PKARR keys): MSB-first 5-bit groups, no padding, lowercase. */
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function z32Encode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc & 0xff) << 8) | bytes[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes z-base-32. Like the reference decoders, the pad bits of the last character are ignored,
 * so callers that need a canonical string re-encode and compare.
 */
export function z32Decode(s: string): Uint8Array {
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c] : -1;
    if (v < 0) throw new PubkyError('invalid_z32', `invalid z-base-32 character ${JSON.stringify(s[i])} at ${i}`);
    acc = ((acc & 0xff) << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
