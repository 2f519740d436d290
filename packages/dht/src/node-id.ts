// Node ids (20 bytes), XOR distance, and BEP42 ids derived from an IPv4 address.
import { randomBytes } from 'node:crypto';
import { crc32c } from './crc32c.ts';

export const ID_LENGTH = 20;

export function randomId(): Uint8Array {
  return new Uint8Array(randomBytes(ID_LENGTH));
}

/** Mainline's distance: 160 − leading zero bits of a XOR b (0 means the same id). */
export function distance(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const x = a[i] ^ b[i];
    if (x !== 0) return 160 - (i * 8 + Math.clz32(x) - 24);
  }
  return 0;
}

/** Orders `a` and `b` by XOR distance to `target`: negative if `a` is closer. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const da = a[i] ^ target[i];
    const db = b[i] ^ target[i];
    if (da !== db) return da - db;
  }
  return 0;
}

export function parseIPv4(host: string): Uint8Array | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** Loopback, private, link-local and unspecified addresses: every id is "valid" for them (BEP42). */
export function isLocalIPv4(ip: Uint8Array): boolean {
  const [a, b] = ip;
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** The 3-byte BEP42 prefix for an address and a random byte `r` (only its top 21 bits count). */
export function bep42Prefix(ip: Uint8Array, r: number): Uint8Array {
  const masked = (((ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]) & 0x030f3fff) | ((r & 7) << 29);
  const buf = new Uint8Array(4);
  new DataView(buf.buffer).setUint32(0, masked >>> 0);
  const crc = crc32c(buf);
  return new Uint8Array([(crc >>> 24) & 0xff, (crc >>> 16) & 0xff, (crc >>> 8) & 0xf8]);
}

/** A BEP42 id for `ip`: 21 bits from the crc, random middle, last byte = r. */
export function bep42Id(ip: Uint8Array, r: number = randomBytes(1)[0]): Uint8Array {
  const id = randomId();
  const p = bep42Prefix(ip, r);
  id[0] = p[0];
  id[1] = p[1];
  id[2] = p[2] | (id[2] & 0x07);
  id[19] = r & 0xff;
  return id;
}

export function isValidBep42(id: Uint8Array, ip: Uint8Array): boolean {
  if (isLocalIPv4(ip)) return true;
  const p = bep42Prefix(ip, id[19]);
  return id[0] === p[0] && id[1] === p[1] && (id[2] & 0xf8) === p[2];
}
