import { PubkyError, type ErrorDoc } from '@pubky-ts/common';

/**
 * Every error this package raises is a `PubkyError` with one of these stable codes, each with
 * when it is thrown (the README table is generated from this object).
 */
export const PKARR_ERRORS = {
  // DNS wire format (decoding network input, or encoding records a caller built)
  dns_truncated: 'the packet ends inside a field, name or record',
  dns_bad_pointer: 'a compression pointer points forward, to itself, into the header, or chains too long',
  dns_label_too_long: 'a label over 63 bytes (or a reserved label type)',
  dns_name_too_long: 'a name over 255 bytes on the wire',
  dns_empty_label: 'encoding a name like `a..b`',
  dns_bad_rdata: 'rdata of a known type has the wrong size or leaves bytes unread',
  dns_bad_svc_params: 'SvcParams unsorted, duplicated, overrunning, or a known key malformed',
  dns_trailing_bytes: 'bytes after the last record (default decode policy)',
  dns_invalid_record: 'a record to encode is not valid (bad address, ttl, type, …)',
  dns_too_many_records: 'more than 65535 entries in a section',
  // SignedPacket
  invalid_signed_packet_length: 'fewer than 104 bytes',
  packet_too_large: 'DNS over 1000 bytes, canonical over 1104, payload over 1072, or HTTP 413',
  invalid_signature: 'the signature does not verify',
  timestamp_out_of_range: 'a timestamp or cas outside 0..2^53',
  // relays, DHT and the resolver
  not_found: 'no packet (internal; `resolve` answers `null`)',
  invalid_signed_packet: 'the newest item is signed but is not a valid packet (`seq`)',
  not_most_recent: 'a newer packet is known (cache, relay 409, DHT 302)',
  cas_failed: 'compare-and-swap failed (cache, relay 412, DHT 301)',
  conflict_risk: 'relay 428: it requires `If-Match`',
  dht_unavailable: 'relay 503: its DHT lookup reached nobody useful',
  dht_error: 'the injected DHT failed',
  relay_bad_request: 'relay 400',
  relay_rate_limited: 'relay 429',
  relay_timeout: 'no answer within `timeoutMs`',
  relay_request_failed: 'connection refused, DNS failure, reset',
  relay_body_too_large: 'response body over 1104 bytes',
  relay_invalid_header: 'malformed `Pkarr-Dht-Stored-Nodes` / `Pkarr-Invalid-Signed-Packet-Seq`',
  relay_invalid_payload: "the relay's body is not a valid packet of that key (`cause` says why)",
  relay_unexpected_status: 'any other non-2xx status',
  invalid_relay_url: 'a relay URL that is not http(s)',
  no_network: 'neither relays nor a DHT',
  key_mismatch: "`withHomeserver` got another key's packet",
  aborted: "the caller's signal fired",
} as const;

export type PkarrErrorCode = keyof typeof PKARR_ERRORS;

/** The catalogue as the README documents it. */
export const PKARR_ERROR_DOCS: ErrorDoc[] = Object.entries(PKARR_ERRORS).map(([code, summary]) => ({ code, summary }));

/** A pkarr error; `seq` is set on `invalid_signed_packet`, `status` on errors that came from an HTTP status. */
export class PkarrError extends PubkyError {
  declare readonly code: PkarrErrorCode;
  readonly seq?: number;
  readonly status?: number;
  constructor(code: PkarrErrorCode, message: string, extra?: { seq?: number; status?: number; cause?: unknown }) {
    super(code, message, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'PkarrError';
    if (extra?.seq !== undefined) this.seq = extra.seq;
    if (extra?.status !== undefined) this.status = extra.status;
  }
}

export function pkarrError(code: PkarrErrorCode, message: string): PkarrError {
  return new PkarrError(code, message);
}
