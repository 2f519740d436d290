// The relay's view of a SignedPacket (spec §2). Parsing lives here behind a small interface so the
// server does not care where it comes from.
// TODO(pkarr): replace the body of `parseCanonical` with `@pubky-ts/pkarr`'s SignedPacket once it
// exists; this local version only validates what the relay needs (lengths, signature, DNS shape, TTLs).
import { compareBytes, PublicKey, PubkyError } from '@pubky-ts/common';

export const MAX_CANONICAL_BYTES = 1104;
export const MAX_RELAY_PAYLOAD_BYTES = 1072;
export const MAX_DNS_BYTES = 1000;
const HEADER = 104; // key 32 + sig 64 + ts 8

export interface RelayPacket {
  readonly key: PublicKey;
  /** Canonical bytes: key ‖ sig ‖ ts ‖ dns. */
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
  /** Author's timestamp in µs (the BEP44 seq). */
  readonly timestamp: number;
  readonly dns: Uint8Array;
  /** Smallest record TTL, null when the packet has no records. */
  readonly minTtl: number | null;
}

function invalid(message: string): PubkyError {
  return new PubkyError('invalid_signed_packet', message);
}

/** BEP44 signable without salt: `3:seqi<ts>e1:v<len>:<dns>`. */
export function signable(timestamp: number, dns: Uint8Array): Uint8Array {
  const prefix = Buffer.from(`3:seqi${timestamp}e1:v${dns.length}:`, 'latin1');
  const out = new Uint8Array(prefix.length + dns.length);
  out.set(prefix, 0);
  out.set(dns, prefix.length);
  return out;
}

function readU64(b: Uint8Array, off: number): number {
  const dv = new DataView(b.buffer, b.byteOffset + off, 8);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  if (hi > 0x1fffff) throw invalid(`timestamp does not fit in 53 bits (high word ${hi})`);
  return hi * 0x1_0000_0000 + lo;
}

/** Parses and verifies canonical bytes. Throws PubkyError('invalid_signed_packet' | 'invalid_public_key'). */
export function parseCanonical(bytes: Uint8Array, expectedKey?: PublicKey): RelayPacket {
  if (bytes.length < HEADER) {
    throw invalid(`Invalid SignedPacket bytes length, expected at least ${HEADER} bytes but got: ${bytes.length}`);
  }
  if (bytes.length > MAX_CANONICAL_BYTES) {
    throw invalid(`SignedPacket is ${bytes.length} bytes, more than the maximum of ${MAX_CANONICAL_BYTES}`);
  }
  const key = expectedKey ?? PublicKey.fromBytes(bytes.subarray(0, 32));
  const signature = bytes.subarray(32, 96);
  const timestamp = readU64(bytes, 96);
  const dns = bytes.subarray(HEADER);
  if (!key.verify(signable(timestamp, dns), signature)) {
    throw invalid(`Invalid signature: the packet is not signed by ${key.z32}`);
  }
  const minTtl = scanDns(dns);
  return { key, bytes, signature, timestamp, dns, minTtl };
}

/** Relay payload = sig ‖ ts ‖ dns for the key named in the URL (spec §2.1). */
export function parseRelayPayload(key: PublicKey, payload: Uint8Array): RelayPacket {
  if (payload.length < HEADER - 32) {
    throw invalid(`Relay payload is ${payload.length} bytes; it needs at least 72 (64-byte signature and 8-byte timestamp)`);
  }
  if (payload.length > MAX_RELAY_PAYLOAD_BYTES) {
    throw invalid(`Relay payload is ${payload.length} bytes, more than the maximum of ${MAX_RELAY_PAYLOAD_BYTES} (DNS packet over ${MAX_DNS_BYTES} bytes)`);
  }
  const bytes = new Uint8Array(32 + payload.length);
  bytes.set(key.bytes, 0);
  bytes.set(payload, 32);
  return parseCanonical(bytes, key);
}

/** A BEP44 mutable item as a DHT hands it over. */
export interface MutableItem {
  key: Uint8Array;
  seq: number;
  value: Uint8Array;
  signature: Uint8Array;
}

export function packetFromMutableItem(key: PublicKey, item: MutableItem): RelayPacket {
  if (item.key.length !== 32 || compareBytes(item.key, key.bytes) !== 0) throw invalid('DHT item is for another key');
  if (!Number.isSafeInteger(item.seq) || item.seq < 0) throw invalid(`DHT item has an unusable seq ${item.seq}`);
  if (item.value.length > MAX_DNS_BYTES) throw invalid(`DHT item value is ${item.value.length} bytes`);
  if (item.signature.length !== 64) throw invalid('DHT item signature is not 64 bytes');
  const bytes = new Uint8Array(HEADER + item.value.length);
  bytes.set(key.bytes, 0);
  bytes.set(item.signature, 32);
  new DataView(bytes.buffer).setUint32(96, Math.floor(item.seq / 0x1_0000_0000));
  new DataView(bytes.buffer).setUint32(100, item.seq >>> 0);
  bytes.set(item.value, HEADER);
  return parseCanonical(bytes, key);
}

/** Spec §2.3: larger timestamp wins; on a tie, the larger DNS bytes. */
export function moreRecentThan(a: RelayPacket, b: RelayPacket): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return compareBytes(a.dns, b.dns) > 0;
}

export function sameAs(a: RelayPacket, b: RelayPacket): boolean {
  return a.bytes.length === b.bytes.length && compareBytes(a.bytes, b.bytes) === 0;
}

/** Packet TTL for caching: min record TTL clamped to [min, max]; an empty packet gets min. */
export function packetTtl(p: RelayPacket, min: number, max: number): number {
  if (p.minTtl === null) return min;
  return Math.min(max, Math.max(min, p.minTtl));
}

// --- minimal DNS walk (RFC 1035): structure and TTLs only ----------------------------------

function skipName(dns: Uint8Array, start: number): number {
  let off = start;
  let total = 0;
  for (let labels = 0; labels < 128; labels++) {
    if (off >= dns.length) throw invalid(`DNS packet truncated inside a name at byte ${off}`);
    const len = dns[off];
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= dns.length) throw invalid(`DNS packet truncated inside a compression pointer at byte ${off}`);
      const target = ((len & 0x3f) << 8) | dns[off + 1];
      if (target >= off) throw invalid(`DNS compression pointer at byte ${off} does not point backwards`);
      // The pointed-to name must itself be well formed (it precedes us, so no loop).
      skipName(dns, target);
      return off + 2;
    }
    if ((len & 0xc0) !== 0) throw invalid(`DNS label at byte ${off} has reserved type bits`);
    total += len + 1;
    if (total > 255) throw invalid('DNS name longer than 255 bytes');
    off += 1 + len;
  }
  throw invalid('DNS name has too many labels');
}

/** Validates the DNS packet's structure and answers its smallest answer TTL (null: no records). */
function scanDns(dns: Uint8Array): number | null {
  if (dns.length < 12) throw invalid(`DNS packet is ${dns.length} bytes, shorter than its 12-byte header`);
  const dv = new DataView(dns.buffer, dns.byteOffset, dns.byteLength);
  const qd = dv.getUint16(4);
  const counts = [dv.getUint16(6), dv.getUint16(8), dv.getUint16(10)];
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(dns, off);
    if (off + 4 > dns.length) throw invalid('DNS question truncated');
    off += 4;
  }
  let minTtl: number | null = null;
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]; i++) {
      off = skipName(dns, off);
      if (off + 10 > dns.length) throw invalid(`DNS record ${i + 1} truncated in its fixed fields`);
      const ttl = dv.getUint32(off + 4);
      const rdlen = dv.getUint16(off + 8);
      off += 10;
      if (off + rdlen > dns.length) throw invalid(`DNS record ${i + 1} rdata runs past the end of the packet`);
      off += rdlen;
      if (section === 0) minTtl = minTtl === null ? ttl : Math.min(minTtl, ttl);
    }
  }
  if (off !== dns.length) throw invalid(`DNS packet has ${dns.length - off} trailing bytes after its records`);
  return minTtl;
}
