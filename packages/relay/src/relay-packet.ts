// The relay's view of a SignedPacket (spec §2): the canonical bytes and the few facts the server
// needs per request (timestamp, TTL), computed once. Parsing and verification are
// `@pubky-ts/pkarr`'s SignedPacket.
import { compareBytes, type PublicKey, PubkyError } from '@pubky-ts/common';
import { MAX_DNS_BYTES, MAX_RELAY_PAYLOAD_BYTES, MAX_SIGNED_PACKET_BYTES, SignedPacket, signable } from '@pubky-ts/pkarr';

export { MAX_DNS_BYTES, MAX_RELAY_PAYLOAD_BYTES, signable };
export const MAX_CANONICAL_BYTES = MAX_SIGNED_PACKET_BYTES;

export interface RelayPacket {
  readonly key: PublicKey;
  /** Canonical bytes: key ‖ sig ‖ ts ‖ dns. */
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
  /** Author's timestamp in µs (the BEP44 seq). */
  readonly timestamp: number;
  readonly dns: Uint8Array;
  /** Smallest answer TTL, null when the packet has no records. */
  readonly minTtl: number | null;
}

function view(p: SignedPacket): RelayPacket {
  let minTtl: number | null = null;
  for (const r of p.records) minTtl = minTtl === null ? r.ttl : Math.min(minTtl, r.ttl);
  return { key: p.publicKey, bytes: p.bytes, signature: p.signature, timestamp: p.timestamp, dns: p.dnsBytes, minTtl };
}

/**
 * Parses and verifies canonical bytes (spec §2.5: length, key, signature, DNS). Throws a
 * PubkyError whose code says which check failed (`invalid_signed_packet_length`,
 * `packet_too_large`, `invalid_public_key`, `invalid_signature`, `timestamp_out_of_range`, `dns_*`).
 */
export function parseCanonical(bytes: Uint8Array, expectedKey?: PublicKey): RelayPacket {
  const p = SignedPacket.fromBytes(bytes);
  if (expectedKey && !p.publicKey.equals(expectedKey)) {
    throw new PubkyError('invalid_signed_packet', `the packet is for ${p.publicKey.z32}, not ${expectedKey.z32}`);
  }
  return view(p);
}

/** Relay payload = sig ‖ ts ‖ dns for the key named in the URL (spec §2.1). */
export function parseRelayPayload(key: PublicKey, payload: Uint8Array): RelayPacket {
  if (payload.length < 72) {
    throw new PubkyError(
      'invalid_signed_packet_length',
      `the relay payload is ${payload.length} bytes; it needs at least 72 (64-byte signature and 8-byte timestamp) plus a DNS packet`,
    );
  }
  return view(SignedPacket.fromRelayPayload(key, payload));
}

/** A BEP44 mutable item as a DHT hands it over. */
export interface MutableItem {
  key: Uint8Array;
  seq: number;
  value: Uint8Array;
  signature: Uint8Array;
}

export function packetFromMutableItem(key: PublicKey, item: MutableItem): RelayPacket {
  if (item.key.length !== 32 || compareBytes(item.key, key.bytes) !== 0) {
    throw new PubkyError('invalid_signed_packet', 'the DHT item is for another key');
  }
  return view(SignedPacket.fromParts(key, item.signature, item.seq, item.value));
}

/** Spec §2.3: larger timestamp wins; on a tie, the larger DNS bytes. */
export function moreRecentThan(a: RelayPacket, b: RelayPacket): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return compareBytes(a.dns, b.dns) > 0;
}

/** Packet TTL for caching: min record TTL clamped to [min, max]; an empty packet gets min. */
export function packetTtl(p: RelayPacket, min: number, max: number): number {
  if (p.minTtl === null) return min;
  return Math.min(max, Math.max(min, p.minTtl));
}
