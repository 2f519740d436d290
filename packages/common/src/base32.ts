import { commonError } from './errors.ts';

/**
 * MSB-first 5-bit groups without padding: the bit packing shared by z-base-32 (keys) and Crockford
 * base32 (session secrets, signup tokens). `lookup` maps a character code to its value or -1.
 */
export function base32Encode(bytes: Uint8Array, alphabet: string): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc & 0xff) << 8) | bytes[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return out;
}

export function base32Decode(
  s: string,
  value: (ch: string) => number,
  code: 'invalid_z32' | 'invalid_crockford',
  what: string,
): Uint8Array {
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const v = value(s[i]);
    if (v < 0) throw commonError(code, `invalid ${what} character ${JSON.stringify(s[i])} at ${i}`);
    acc = ((acc & 0xff) << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
