import { PubkyError } from './errors.ts';

/** Crockford base32 (session secrets, signup tokens, legacy event cursors): uppercase, no padding. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function crockfordEncode(bytes: Uint8Array): string {
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

/** Decodes Crockford base32; accepts lowercase and the usual aliases (O→0, I/L→1). */
export function crockfordDecode(s: string): Uint8Array {
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let ch = s[i].toUpperCase();
    if (ch === 'O') ch = '0';
    else if (ch === 'I' || ch === 'L') ch = '1';
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new PubkyError('invalid_crockford', `invalid base32 character ${JSON.stringify(s[i])}`);
    acc = ((acc & 0xff) << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
