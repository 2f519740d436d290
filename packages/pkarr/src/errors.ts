import { PubkyError } from '@pubky-ts/common';

/**
 * Every error this package raises is a `PubkyError` with one of these stable codes.
 * The README lists what each one means.
 */
export type PkarrErrorCode =
  // DNS wire format (decoding network input, or encoding records a caller built)
  | 'dns_truncated'
  | 'dns_bad_pointer'
  | 'dns_label_too_long'
  | 'dns_name_too_long'
  | 'dns_empty_label'
  | 'dns_bad_rdata'
  | 'dns_bad_svc_params'
  | 'dns_trailing_bytes'
  | 'dns_invalid_record'
  | 'dns_too_many_records'
  // SignedPacket
  | 'invalid_signed_packet_length'
  | 'packet_too_large'
  | 'invalid_signature'
  | 'timestamp_out_of_range'
  // relays, DHT and the resolver
  | 'not_found'
  | 'invalid_signed_packet'
  | 'not_most_recent'
  | 'cas_failed'
  | 'conflict_risk'
  | 'dht_unavailable'
  | 'dht_error'
  | 'relay_bad_request'
  | 'relay_rate_limited'
  | 'relay_timeout'
  | 'relay_request_failed'
  | 'relay_body_too_large'
  | 'relay_invalid_header'
  | 'relay_invalid_payload'
  | 'relay_unexpected_status'
  | 'invalid_relay_url'
  | 'no_network'
  | 'key_mismatch'
  | 'aborted';

/** A pkarr error; `seq` is set on `invalid_signed_packet`, `status` on errors that came from an HTTP status. */
export class PkarrError extends PubkyError {
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
