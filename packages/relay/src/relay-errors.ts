import { PubkyError, type ErrorDoc } from '@pubky-ts/common';

/** The header that carries an error answer's stable code, as on the homeserver. */
export const ERROR_CODE_HEADER = 'pubky-error-code';

/**
 * Every error answer of the two relays (pkarr relay and HTTP relay): its code — sent in the
 * `pubky-error-code` header, the body stays the human-readable text — and its status.
 */
export const RELAY_ERRORS = {
  INVALID_PUBLIC_KEY: { status: 400, summary: 'the path is not a z-base-32 public key' },
  INVALID_POLICY: { status: 400, summary: '`?policy=` is not CacheOnly, CacheFirst or NetworkOnly' },
  INVALID_SIGNED_PACKET: { status: 400, summary: 'the PUT body is not a valid relay payload for this key' },
  INVALID_IF_MATCH: { status: 400, summary: '`If-Match` is neither a µs timestamp, an HTTP-date nor `*`' },
  INVALID_ID: { status: 400, summary: 'an inbox or link id with bad percent-encoding, or longer than the limit' },
  NOT_FOUND: { status: 404, summary: 'no such packet, inbox entry, or route' },
  INVALID_NEWEST_PACKET: { status: 404, summary: 'the newest DHT item for the key is not a valid signed packet' },
  ENTRY_EXPIRED: { status: 404, summary: 'the waited-for entry expired or was replaced' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'the method is not served on this path (see `Allow`)' },
  REQUEST_TIMEOUT: { status: 408, summary: 'a long poll ended without a message' },
  NEWER_PACKET_CACHED: { status: 409, summary: 'the relay holds a more recent packet for the key' },
  NEWER_PACKET_ON_DHT: { status: 409, summary: 'the DHT holds a more recent packet for the key' },
  PRECONDITION_FAILED: { status: 412, summary: '`If-Match` does not match the cached packet' },
  DHT_PRECONDITION_FAILED: { status: 412, summary: 'the DHT refused the compare-and-swap' },
  BODY_TOO_LARGE: { status: 413, summary: 'the body is larger than the relay accepts' },
  RATE_LIMITED: { status: 429, summary: 'too many requests from this client (see `Retry-After`)' },
  INTERNAL: { status: 500, summary: 'a fault of the relay' },
  DHT_PUBLISH_FAILED: { status: 500, summary: 'storing the packet on the DHT failed' },
  DHT_UNAVAILABLE: { status: 503, summary: 'the DHT lookup reached no node that answered usefully' },
  SHUTTING_DOWN: { status: 503, summary: 'the relay is closing' },
  TOO_MANY_WAITERS: { status: 503, summary: 'too many requests are waiting on this id' },
  AT_CAPACITY: { status: 503, summary: 'the relay holds as many entries as it may' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type RelayErrorCode = keyof typeof RELAY_ERRORS;

/** The catalogue as the README's generated table lists it (`npm run docs:errors`). */
export const RELAY_ERROR_DOCS: readonly ErrorDoc[] = Object.entries(RELAY_ERRORS).map(([code, e]) => ({
  code,
  status: e.status,
  summary: e.summary,
}));

/** An error answer of a relay: status from the catalogue, text body, extra headers (Allow, Retry-After…). */
export class RelayError extends PubkyError {
  readonly status: number;
  constructor(
    code: RelayErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
    this.name = 'RelayError';
    this.status = RELAY_ERRORS[code].status;
  }
}

/** One factory per code (the text of each answer is the relays' wire text, unchanged). */
export const relayErrors = {
  invalidPublicKey: (detail: string) => new RelayError('INVALID_PUBLIC_KEY', `Invalid public key: ${detail}`),
  invalidPolicy: () => new RelayError('INVALID_POLICY', 'Invalid policy: expected CacheOnly, CacheFirst or NetworkOnly'),
  invalidSignedPacket: (code: string, detail: string) =>
    new RelayError('INVALID_SIGNED_PACKET', `Invalid signed packet (${code}): ${detail}`),
  invalidIfMatch: (message: string) => new RelayError('INVALID_IF_MATCH', message),
  invalidId: (message: string, headers?: Record<string, string>) => new RelayError('INVALID_ID', message, headers),
  notFound: (message = 'Not found', headers?: Record<string, string>) => new RelayError('NOT_FOUND', message, headers),
  invalidNewestPacket: (seq: number, header: string) =>
    new RelayError('INVALID_NEWEST_PACKET', `Not found: the newest DHT item (seq ${seq}) is not a valid signed packet`, {
      [header]: String(seq),
    }),
  entryExpired: (message: string, headers?: Record<string, string>) => new RelayError('ENTRY_EXPIRED', message, headers),
  methodNotAllowed: (allow: string, headers?: Record<string, string>) =>
    new RelayError('METHOD_NOT_ALLOWED', 'Method not allowed', { ...headers, Allow: allow }),
  requestTimeout: (headers?: Record<string, string>) => new RelayError('REQUEST_TIMEOUT', 'Request timed out', headers),
  newerPacketCached: (cached: number, yours: number) =>
    new RelayError('NEWER_PACKET_CACHED', `Conflict: a more recent packet is cached (timestamp ${cached}, yours ${yours})`),
  newerPacketOnDht: (detail: string) => new RelayError('NEWER_PACKET_ON_DHT', `Conflict: the DHT holds a more recent packet (${detail})`),
  preconditionFailed: (message: string) => new RelayError('PRECONDITION_FAILED', message),
  dhtPreconditionFailed: (detail: string) => new RelayError('DHT_PRECONDITION_FAILED', `Precondition failed on the DHT: ${detail}`),
  bodyTooLarge: (message: string, headers?: Record<string, string>) =>
    new RelayError('BODY_TOO_LARGE', message, { ...headers, Connection: 'close' }),
  rateLimited: (waitSeconds: number) =>
    new RelayError('RATE_LIMITED', `Too many requests, retry in ${waitSeconds} s`, { 'Retry-After': String(waitSeconds) }),
  internal: (message: string) => new RelayError('INTERNAL', message),
  dhtPublishFailed: (detail: string) => new RelayError('DHT_PUBLISH_FAILED', `DHT publish failed: ${detail}`),
  dhtUnavailable: (message: string) => new RelayError('DHT_UNAVAILABLE', message),
  shuttingDown: (message: string, headers?: Record<string, string>) => new RelayError('SHUTTING_DOWN', message, headers),
  tooManyWaiters: () => new RelayError('TOO_MANY_WAITERS', 'Too many concurrent requests'),
  atCapacity: () => new RelayError('AT_CAPACITY', 'Server at capacity'),
};
