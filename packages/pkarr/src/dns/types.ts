/** Record type codes this codec understands; anything else is kept as raw rdata (`UNKNOWN`). */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  TXT: 16,
  AAAA: 28,
  SVCB: 64,
  HTTPS: 65,
} as const;

export const CLASS_IN = 1;

/**
 * RFC 9460 SvcParams. On the wire keys are written in ascending order, each once; the object form
 * makes duplicates impossible except through `other`, which the encoder checks.
 */
export interface SvcParams {
  /** key 0: keys a client must understand to use this record */
  mandatory?: number[];
  /** key 1: ALPN protocol ids (`h2`, `h3`, ...) */
  alpn?: string[];
  /** key 2: the default ALPN is not supported */
  noDefaultAlpn?: boolean;
  /** key 3 */
  port?: number;
  /** key 4: IPv4 addresses in dotted-quad form */
  ipv4hint?: string[];
  /** key 6: IPv6 addresses */
  ipv6hint?: string[];
  /**
   * Any other key with its raw value bytes, e.g. 65280 (the Pubky testnet's HTTP port, 2 bytes
   * big-endian) or 5 (ech, kept opaque). Known keys 0-4 and 6 are not allowed here.
   */
  other?: SvcParamRaw[];
}

export interface SvcParamRaw {
  key: number;
  value: Uint8Array;
}

interface RecordBase {
  /** Owner name, dotted, without trailing dot; the root is `.`. */
  name: string;
  /** Seconds, u32. */
  ttl: number;
  /** Defaults to IN (1) when encoding; always set when decoding. */
  class?: number;
}

export interface ARecord extends RecordBase {
  type: 'A';
  address: string;
}
export interface AAAARecord extends RecordBase {
  type: 'AAAA';
  address: string;
}
export interface CNAMERecord extends RecordBase {
  type: 'CNAME';
  target: string;
}
export interface NSRecord extends RecordBase {
  type: 'NS';
  target: string;
}
export interface TXTRecord extends RecordBase {
  type: 'TXT';
  /** The character-strings, each at most 255 bytes. */
  strings: Uint8Array[];
}
export interface SVCBRecord extends RecordBase {
  type: 'SVCB' | 'HTTPS';
  /** 0 = AliasMode, otherwise ServiceMode; lower is preferred. */
  priority: number;
  /** TargetName; `.` means "this owner" (the packet's own addresses). */
  target: string;
  params: SvcParams;
}
export interface UnknownRecord extends RecordBase {
  type: 'UNKNOWN';
  typeCode: number;
  rdata: Uint8Array;
}

export type DnsRecord = ARecord | AAAARecord | CNAMERecord | NSRecord | TXTRecord | SVCBRecord | UnknownRecord;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsPacket {
  id: number;
  /** The 16 flag bits of the header (QR, opcode, AA, TC, RD, RA, Z, RCODE). */
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** Header flags of the packets pkarr writes: a response (QR) with id 0, as the reference does. */
export const PKARR_FLAGS = 0x8000;
