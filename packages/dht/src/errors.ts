import { PubkyError } from '@pubky-ts/common';

/**
 * Stable codes:
 * - `bencode_invalid`: bytes that are not one well-formed bencoded value (the message says where).
 * - `krpc_invalid`: a well-formed bencoded value that is not a KRPC message we accept.
 * - `invalid_argument`: a caller passed something unusable (wrong key length, v > 1000 bytes, …).
 * - `not_most_recent`: a majority of storing nodes answered 302 (a newer or equal-seq item is stored).
 * - `cas_failed`: a majority of storing nodes answered 301 (the `cas` did not match).
 * - `timeout`: no storing node acknowledged a put before the request timeout.
 * - `no_closest_nodes`: the lookup found no node that handed out a write token.
 * - `put_rejected`: every storing node refused the put with a KRPC error (see `krpcCode`).
 * - `no_nodes_queried` / `no_nodes_responded` / `no_usable_responses`: a get lookup that found no
 *   item also reached nobody, nobody answered, or nobody answered usefully (a missing item on a
 *   reachable network just ends the stream empty).
 * - `closed`: the node was closed while the operation was running.
 * - `bind_failed`: the UDP socket could not be bound.
 */
export class DhtError extends PubkyError {
  /** The KRPC error code behind a `put_rejected`, `not_most_recent` or `cas_failed`. */
  readonly krpcCode?: number;
  constructor(code: string, message: string, options?: { cause?: unknown; krpcCode?: number }) {
    super(code, message, options);
    this.name = 'DhtError';
    if (options?.krpcCode !== undefined) this.krpcCode = options.krpcCode;
  }
}
