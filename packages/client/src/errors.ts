import { PubkyError } from '@pubky-ts/common';
import type { ArchiveErrorCode } from './archive/error-codes.ts';

/**
 * Stable codes of the errors the SDK raises itself. Errors of `@pubky-ts/common` (keys, AuthToken,
 * capabilities, recovery files) and `@pubky-ts/pkarr` pass through with their own codes.
 */
export type ClientErrorCode =
  // URLs and arguments
  | 'invalid_pubky_url'
  | 'invalid_argument'
  | 'invalid_session_export'
  // HTTP (PubkyHttpError; see httpErrorCode for the mapping from status)
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'server_error'
  | 'http_error'
  | 'network_error'
  | 'aborted'
  | 'invalid_response'
  // PKARR resolution (PkarrResolutionError)
  | 'user_packet_not_found'
  | 'homeserver_not_found'
  | 'homeserver_packet_not_found'
  | 'no_usable_endpoint'
  | 'pkarr_unavailable'
  | 'publish_failed'
  // auth flow (AuthFlowError)
  | 'invalid_deep_link'
  | 'unsupported_deep_link'
  | 'auth_flow_relay_error'
  | 'auth_flow_timeout'
  | 'auth_flow_aborted'
  | 'auth_flow_decrypt_failed'
  | 'auth_flow_bad_payload'
  | 'invalid_auth_flow_state'
  // events
  | 'invalid_sse'
  | 'invalid_event'
  | 'invalid_events_feed'
  // grants
  | 'invalid_grant'
  // moving data between homeservers
  | 'integrity_error'
  | 'migration_incomplete'
  // account archives (ArchiveError)
  | ArchiveErrorCode;

/** Base class of the SDK's own errors (still a `PubkyError`, so `err.code` works everywhere). */
export class ClientError extends PubkyError {
  declare readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ClientError';
  }
}

/** The code an HTTP status maps to. */
export function httpErrorCode(status: number): ClientErrorCode {
  switch (status) {
    case 400:
    case 422:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
    case 410:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 507:
      return 'quota_exceeded';
    default:
      return status >= 500 ? 'server_error' : 'http_error';
  }
}

/**
 * A homeserver (or relay) answered with a non-success status. `status` is the HTTP status,
 * `serverMessage` the plain-text body the server sent (the reference puts its reason there),
 * `serverCode` the server's own stable code when it sent one (our homeserver's `pubky-error-code`
 * header, e.g. `QUOTA_EXCEEDED`; its README lists them). Match on `code` for the kind of failure,
 * on `serverCode` for the exact rule.
 */
export class PubkyHttpError extends ClientError {
  readonly status: number;
  readonly serverMessage: string;
  readonly serverCode?: string;
  readonly method: string;
  readonly url: string;
  /** Seconds from a `Retry-After` header (429/503), when the server sent one. */
  readonly retryAfter?: number;

  constructor(init: { status: number; serverMessage: string; serverCode?: string; method: string; url: string; retryAfter?: number }) {
    const reason = init.serverMessage.trim() || `HTTP ${init.status}`;
    super(httpErrorCode(init.status), `${init.method} ${init.url} failed with ${init.status}: ${reason}`);
    this.name = 'PubkyHttpError';
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    if (init.serverCode !== undefined) this.serverCode = init.serverCode;
    this.method = init.method;
    this.url = init.url;
    if (init.retryAfter !== undefined) this.retryAfter = init.retryAfter;
  }
}

/** A user's or homeserver's PKARR records could not be found or used. */
export class PkarrResolutionError extends ClientError {
  /** The key whose records were being resolved (z32). */
  readonly key: string;
  constructor(code: ClientErrorCode, key: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'PkarrResolutionError';
    this.key = key;
  }
}

/** The pubkyauth flow failed: a bad deep link, a relay failure, a payload that does not decrypt. */
export class AuthFlowError extends ClientError {
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'AuthFlowError';
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError' || (e as { code?: unknown }).code === 'aborted');
}

/** Throws the signal's reason as an `aborted` error if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

export function abortedError(signal: AbortSignal | undefined): ClientError {
  const reason = signal?.reason;
  const detail = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
  return new ClientError('aborted', detail ? `aborted: ${detail}` : 'aborted', { cause: reason });
}
