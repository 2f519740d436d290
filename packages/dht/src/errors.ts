import { PubkyError, type ErrorDoc } from '@pubky-ts/common';

/** Every code a `DhtError` carries, with when it is thrown (the README table is generated from this). */
export const DHT_ERRORS = {
  invalid_argument:
    'wrong key/signature/target length, value > 1000 B, salt > 64 B, a signature that does not verify (checked before any traffic)',
  not_most_recent: 'at least half+1 of the storing nodes answered 302 (a newer or equal-seq item is stored)',
  cas_failed: 'at least half+1 of the storing nodes answered 301 (the `cas` did not match)',
  put_rejected: 'nothing stored, the most common answer was another KRPC error (`krpcCode`)',
  timeout: 'nothing stored and no storing node answered before the request timeout',
  no_closest_nodes: 'the lookup met no node that handed out a write token',
  no_nodes_queried: "a get lookup found nothing and asked nobody (pkarr's and the relay's 503 outcome)",
  no_nodes_responded: 'a get lookup found nothing and heard from nobody',
  no_usable_responses: 'a get lookup found nothing and heard only errors and invalid items',
  closed: 'the node was closed while the operation was running',
  bind_failed: 'the UDP port could not be bound',
  bencode_invalid: 'bytes that are not one well-formed bencoded value (`bdecode`; the message says where)',
  krpc_invalid: 'a well-formed bencoded value that is not a KRPC message we accept (`decodeMessage`; the message names the field)',
} as const;

export type DhtErrorCode = keyof typeof DHT_ERRORS;

/** The catalogue as the README documents it. */
export const DHT_ERROR_DOCS: ErrorDoc[] = Object.entries(DHT_ERRORS).map(([code, summary]) => ({ code, summary }));

export class DhtError extends PubkyError {
  declare readonly code: DhtErrorCode;
  /** The KRPC error code behind a `put_rejected`, `not_most_recent` or `cas_failed`. */
  readonly krpcCode?: number;
  constructor(code: DhtErrorCode, message: string, options?: { cause?: unknown; krpcCode?: number }) {
    super(code, message, options);
    this.name = 'DhtError';
    if (options?.krpcCode !== undefined) this.krpcCode = options.krpcCode;
  }
}
