import { type Keypair, PublicKey, bytesEqual, compareBytes, concatBytes, nowMicros, utf8Encode } from '@pubky-ts/common';
import { PkarrError } from './errors.ts';
import { decodeDnsPacket, encodeDnsPacket } from './dns/packet.ts';
import type { DnsPacket, DnsRecord } from './dns/types.ts';
import { nameMatches, normalizeName } from './names.ts';

/** Largest DNS packet a SignedPacket (and a BEP44 `v`) may carry. */
export const MAX_DNS_BYTES = 1000;
/** Largest canonical SignedPacket: key(32) ‖ signature(64) ‖ timestamp(8) ‖ dns(≤ 1000). */
export const MAX_SIGNED_PACKET_BYTES = 1104;
/** Smallest canonical SignedPacket (an empty DNS part; it then fails to parse as DNS). */
export const MIN_SIGNED_PACKET_BYTES = 104;
/** Largest relay payload: the canonical bytes without the leading key. */
export const MAX_RELAY_PAYLOAD_BYTES = MAX_SIGNED_PACKET_BYTES - 32;

export const DEFAULT_MINIMUM_TTL = 300;
export const DEFAULT_MAXIMUM_TTL = 86400;

/** `last_seen` values further than this in the future are reset to 0 when loading storage bytes. */
const LAST_SEEN_FUTURE_TOLERANCE_MICROS = 60_000_000;

/** The BEP44 signable without salt: `3:seqi<ts>e1:v<len>:<dns>`. */
export function signable(timestamp: number | bigint, dns: Uint8Array): Uint8Array {
  return concatBytes(utf8Encode(`3:seqi${BigInt(timestamp)}e1:v${dns.length}:`), dns);
}

function nowWallMicros(): number {
  return Date.now() * 1000;
}

function readU64(b: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[at + i]);
  return v;
}

function writeU64(b: Uint8Array, at: number, value: number): void {
  let v = BigInt(value);
  for (let i = 7; i >= 0; i--) {
    b[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function checkTimestamp(ts: number, what: string): number {
  if (!Number.isSafeInteger(ts) || ts < 0) {
    throw new PkarrError('timestamp_out_of_range', `${what} must be a non-negative integer of microseconds below 2^53, got ${String(ts)}`);
  }
  return ts;
}

export interface SignOptions {
  /** µs since the epoch; defaults to `nowMicros()` (strictly increasing in this process). */
  timestamp?: number;
}

/**
 * A DNS packet signed by an Ed25519 key, as published on the DHT and through relays (spec §2).
 * Immutable except for `lastSeen`, local metadata (when this copy was last observed) that is
 * never signed.
 */
export class SignedPacket {
  /** key(32) ‖ signature(64) ‖ timestamp(8, BE µs) ‖ dns */
  readonly bytes: Uint8Array;
  readonly publicKey: PublicKey;
  readonly timestamp: number;
  readonly packet: DnsPacket;
  /** µs since the epoch when this packet was last seen (local metadata). */
  lastSeen: number;

  private constructor(bytes: Uint8Array, publicKey: PublicKey, timestamp: number, packet: DnsPacket, lastSeen: number) {
    this.bytes = bytes;
    this.publicKey = publicKey;
    this.timestamp = timestamp;
    this.packet = packet;
    this.lastSeen = lastSeen;
  }

  /**
   * Builds and signs a packet from records whose names are relative to the key (`@`/`.` for the
   * apex, `foo` for `foo.<z32>`; absolute names under the key are kept). Refuses a DNS part larger
   * than 1000 bytes (`packet_too_large`).
   */
  static sign(keypair: Keypair, records: DnsRecord[], options: SignOptions = {}): SignedPacket {
    const origin = keypair.publicKey.z32;
    const answers = records.map((r) => ({ ...r, name: normalizeName(origin, r.name) }) as DnsRecord);
    const dns = encodeDnsPacket({ answers });
    if (dns.length > MAX_DNS_BYTES) {
      throw new PkarrError('packet_too_large', `the DNS packet is ${dns.length} bytes, at most ${MAX_DNS_BYTES} allowed`);
    }
    const timestamp = checkTimestamp(options.timestamp ?? nowMicros(), 'timestamp');
    const signature = keypair.sign(signable(timestamp, dns));
    return SignedPacket.fromParts(keypair.publicKey, signature, timestamp, dns, { verified: true });
  }

  /** From the canonical bytes: checks length, key, signature and DNS, in that order (spec §2.5). */
  static fromBytes(bytes: Uint8Array, options: { lastSeen?: number } = {}): SignedPacket {
    if (!(bytes instanceof Uint8Array)) throw new PkarrError('invalid_signed_packet_length', 'signed packet bytes must be a Uint8Array');
    if (bytes.length < MIN_SIGNED_PACKET_BYTES) {
      throw new PkarrError(
        'invalid_signed_packet_length',
        `a signed packet is at least ${MIN_SIGNED_PACKET_BYTES} bytes, got ${bytes.length}`,
      );
    }
    if (bytes.length > MAX_SIGNED_PACKET_BYTES) {
      throw new PkarrError('packet_too_large', `a signed packet is at most ${MAX_SIGNED_PACKET_BYTES} bytes, got ${bytes.length}`);
    }
    const publicKey = PublicKey.fromBytes(bytes.subarray(0, 32));
    const signature = bytes.subarray(32, 96);
    const ts = readU64(bytes, 96);
    const dns = bytes.subarray(104);
    if (!publicKey.verify(signable(ts, dns), signature)) {
      throw new PkarrError('invalid_signature', `the signature of the packet of ${publicKey.z32} (timestamp ${ts}) does not verify`);
    }
    if (ts > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new PkarrError('timestamp_out_of_range', `timestamp ${ts} of the packet of ${publicKey.z32} is beyond 2^53 µs`);
    }
    return SignedPacket.fromParts(publicKey, signature, Number(ts), dns, { verified: true, lastSeen: options.lastSeen });
  }

  /** From a relay body (`signature ‖ timestamp ‖ dns`) and the key from the URL. */
  static fromRelayPayload(publicKey: PublicKey, payload: Uint8Array, options: { lastSeen?: number } = {}): SignedPacket {
    if (!(payload instanceof Uint8Array)) throw new PkarrError('invalid_signed_packet_length', 'a relay payload must be a Uint8Array');
    if (payload.length > MAX_RELAY_PAYLOAD_BYTES) {
      throw new PkarrError('packet_too_large', `a relay payload is at most ${MAX_RELAY_PAYLOAD_BYTES} bytes, got ${payload.length}`);
    }
    return SignedPacket.fromBytes(concatBytes(publicKey.bytes, payload), options);
  }

  /**
   * From the parts of a BEP44 mutable item (`k`, `sig`, `seq`, `v`). Verifies the signature unless
   * `verified` says the caller already did (the bytes then must come from a trusted place).
   */
  static fromParts(
    publicKey: PublicKey,
    signature: Uint8Array,
    timestamp: number,
    dns: Uint8Array,
    options: { verified?: boolean; lastSeen?: number } = {},
  ): SignedPacket {
    checkTimestamp(timestamp, 'timestamp');
    if (signature.length !== 64) throw new PkarrError('invalid_signature', `a signature is 64 bytes, got ${signature.length}`);
    if (dns.length > MAX_DNS_BYTES) {
      throw new PkarrError('packet_too_large', `the DNS packet is ${dns.length} bytes, at most ${MAX_DNS_BYTES} allowed`);
    }
    if (!options.verified && !publicKey.verify(signable(timestamp, dns), signature)) {
      throw new PkarrError('invalid_signature', `the signature of the packet of ${publicKey.z32} (timestamp ${timestamp}) does not verify`);
    }
    const packet = decodeDnsPacket(dns, { trailingBytes: 'ignore' });
    const bytes = new Uint8Array(104 + dns.length);
    bytes.set(publicKey.bytes, 0);
    bytes.set(signature, 32);
    writeU64(bytes, 96, timestamp);
    bytes.set(dns, 104);
    return new SignedPacket(bytes, publicKey, timestamp, packet, options.lastSeen ?? nowWallMicros());
  }

  /**
   * From the storage form `last_seen(8, BE µs) ‖ canonical`. A `last_seen` more than 60 s in the
   * future is reset to 0. The signature is checked again (storage is not trusted blindly).
   */
  static deserialize(bytes: Uint8Array): SignedPacket {
    if (!(bytes instanceof Uint8Array) || bytes.length < 8) {
      throw new PkarrError('invalid_signed_packet_length', 'stored signed packet bytes start with an 8-byte last_seen');
    }
    let lastSeen = readU64(bytes, 0);
    if (lastSeen > BigInt(nowWallMicros() + LAST_SEEN_FUTURE_TOLERANCE_MICROS)) lastSeen = 0n;
    return SignedPacket.fromBytes(bytes.subarray(8), { lastSeen: Number(lastSeen) });
  }

  /** `last_seen(8) ‖ canonical`, for caches and databases. */
  serialize(): Uint8Array {
    const out = new Uint8Array(8 + this.bytes.length);
    writeU64(out, 0, Math.max(0, Math.floor(this.lastSeen)));
    out.set(this.bytes, 8);
    return out;
  }

  get signature(): Uint8Array {
    return this.bytes.subarray(32, 96);
  }

  /** The encoded DNS packet (BEP44 `v`). */
  get dnsBytes(): Uint8Array {
    return this.bytes.subarray(104);
  }

  /** `signature ‖ timestamp ‖ dns`, the body of relay requests and responses. */
  toRelayPayload(): Uint8Array {
    return this.bytes.slice(32);
  }

  /** The answer records (names are absolute: `foo.<z32>`, apex `<z32>`). */
  get records(): DnsRecord[] {
    return this.packet.answers;
  }

  /**
   * Answer records at `name`, normalized like the builder (`@` = apex, `foo` = `foo.<z32>`);
   * `*.foo` matches exactly one label in place of `*`.
   */
  resourceRecords(name: string): DnsRecord[] {
    const query = normalizeName(this.publicKey.z32, name);
    return this.packet.answers.filter((r) => nameMatches(r.name, query));
  }

  /** Like `resourceRecords`, without records whose own TTL has run out since `lastSeen`. */
  freshResourceRecords(name: string, nowMicros = nowWallMicros()): DnsRecord[] {
    const elapsed = this.elapsed(nowMicros);
    return this.resourceRecords(name).filter((r) => r.ttl > elapsed);
  }

  /** Smallest record TTL clamped to [min, max]; `min` for an empty packet. */
  ttl(min = DEFAULT_MINIMUM_TTL, max = DEFAULT_MAXIMUM_TTL): number {
    if (this.packet.answers.length === 0) return min;
    let smallest = Infinity;
    for (const r of this.packet.answers) if (r.ttl < smallest) smallest = r.ttl;
    return Math.min(Math.max(smallest, min), max);
  }

  /** Whole seconds since `lastSeen` (0 if `lastSeen` is in the future). */
  elapsed(nowMicros = nowWallMicros()): number {
    return Math.max(0, Math.floor((nowMicros - this.lastSeen) / 1_000_000));
  }

  /** Seconds until this copy expires under the clamped TTL; 0 once expired. */
  expiresIn(min = DEFAULT_MINIMUM_TTL, max = DEFAULT_MAXIMUM_TTL, nowMicros = nowWallMicros()): number {
    return Math.max(0, this.ttl(min, max) - this.elapsed(nowMicros));
  }

  isExpired(min = DEFAULT_MINIMUM_TTL, max = DEFAULT_MAXIMUM_TTL, nowMicros = nowWallMicros()): boolean {
    return this.expiresIn(min, max, nowMicros) === 0;
  }

  /** Larger timestamp wins; on equal timestamps the lexicographically larger DNS bytes win. */
  moreRecentThan(other: SignedPacket): boolean {
    if (this.timestamp !== other.timestamp) return this.timestamp > other.timestamp;
    return compareBytes(this.dnsBytes, other.dnsBytes) > 0;
  }

  /** Same canonical bytes (may differ in `lastSeen`). */
  isSameAs(other: SignedPacket): boolean {
    return bytesEqual(this.bytes, other.bytes);
  }

  /** A copy with another `lastSeen`. */
  withLastSeen(lastSeen: number): SignedPacket {
    return new SignedPacket(this.bytes, this.publicKey, this.timestamp, this.packet, lastSeen);
  }

  toString(): string {
    const lines = this.packet.answers.map((r) => `  ${r.name} ${r.ttl} ${r.type}`);
    return `SignedPacket(${this.publicKey.z32}, timestamp ${this.timestamp}, ${this.packet.answers.length} records)\n${lines.join('\n')}`;
  }
}
