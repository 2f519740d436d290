import type { ErrorDoc } from '@pubky-ts/common';

/**
 * Every error the homeserver answers with: its stable code, HTTP status and message. The code
 * travels in the `pubky-error-code` header, the message is the `text/plain` body (for routes the
 * reference serves, its exact text, which the official SDK surfaces to users).
 *
 * Wire convention: UPPER_SNAKE codes, one status per code. `npm run docs:errors` writes the table
 * in the README from this object; `catalogue.test.ts` fails when that table is stale.
 */

/** One catalogue entry. `message` builds the body text from the details a throw site knows. */
export interface ErrorEntry {
  readonly status: number;
  /** When a client sees it (the README's wording). */
  readonly summary: string;
  readonly message: (...details: never[]) => string;
  /** Headers every answer with this code carries. */
  readonly headers?: Readonly<Record<string, string>>;
}

const text = (message: string) => (): string => message;
const detail = (detail: string): string => detail;

export const HOMESERVER_ERRORS = {
  // 400: the request cannot be understood
  MALFORMED_REQUEST: {
    status: 400,
    summary: 'The bytes on the socket are not an HTTP/1.1 request.',
    message: (reason: string) => `Bad Request: malformed HTTP request (${reason})`,
  },
  INVALID_URL: {
    status: 400,
    summary: 'The URL does not decode (percent-encoding, UTF-8) or addresses a directory where a file is needed.',
    message: (reason: string) => `Invalid URL: ${reason}`,
  },
  INVALID_QUERY: {
    status: 400,
    summary: 'The query string is not valid form-urlencoded UTF-8.',
    message: (reason: string) => `Invalid query: ${reason}`,
  },
  INVALID_BOOLEAN: {
    status: 400,
    summary: 'A boolean query parameter is not one of true/yes/1/false/no/0 (or empty).',
    message: text('Invalid boolean parameter'),
  },
  INVALID_LIMIT: { status: 400, summary: '`limit` is not an integer in range.', message: detail },
  INVALID_CURSOR: {
    status: 400,
    summary: '`cursor` is not a cursor this route accepts.',
    message: (cursor?: string) => (cursor === undefined ? 'Invalid cursor' : `Invalid cursor: ${cursor}`),
  },
  INVALID_STATE: {
    status: 400,
    summary: '`state` of the signup-token listing is not all, used or unused.',
    message: text('state must be one of all, used, unused'),
  },
  INVALID_PATH: {
    status: 400,
    summary: 'A `path` filter of an event feed is not a storage path.',
    message: (path: string) => `Invalid path: ${path}`,
  },
  INVALID_PUBLIC_KEY: {
    status: 400,
    summary: 'A user key in the URL or query is not a z-base-32 Ed25519 key.',
    message: (reason: string) => `Invalid public key: ${reason}`,
  },
  INVALID_BODY: { status: 400, summary: 'The body does not fit the declared Content-Type or Content-Length.', message: detail },
  INVALID_PRECONDITION: {
    status: 400,
    summary: 'An `If-Match` / `If-None-Match` on a write that is not `*` or one strong ETag.',
    message: (header: string, reason: string) => `Invalid ${header} header: ${reason}`,
  },
  INVALID_JSON_SYNTAX: {
    status: 400,
    summary: 'The body is not JSON.',
    message: (reason: string) => `Failed to parse the request body as JSON: ${reason}`,
  },
  LIVE_WITH_REVERSE: {
    status: 400,
    summary: '`live` and `reverse` together on an event stream.',
    message: text('Cannot use live mode with reverse ordering'),
  },
  USER_REQUIRED: { status: 400, summary: '`/events-stream` without a `user`.', message: text('user parameter is required') },
  TOO_MANY_USERS: {
    status: 400,
    summary: 'More `user` parameters than one stream may follow.',
    message: (max: number) => `Too many users. Maximum allowed: ${max}`,
  },
  MISSING_TENANT: {
    status: 400,
    summary: 'No `pubky-host` header or query (and no pubky subdomain) names the user.',
    message: text('Missing request tenant'),
  },
  MISSING_STORAGE_OWNER_OR_PATH: {
    status: 400,
    summary: 'A `/storage/{user}/{path}` URL without user or path.',
    message: text('Missing storage owner or path'),
  },
  MISSING_STORAGE_PATH: { status: 400, summary: 'A `/storage/{user}/` URL without a path.', message: text('Missing storage path') },
  INVALID_STORAGE_OWNER: {
    status: 400,
    summary: 'The user of a `/storage/{user}/{path}` URL is not a public key.',
    message: text('Invalid storage owner public key'),
  },
  STORAGE_PATH_NOT_UTF8: {
    status: 400,
    summary: 'The storage path does not percent-decode to UTF-8.',
    message: text('Storage path is not valid UTF-8'),
  },
  INVALID_STORAGE_PATH: {
    status: 400,
    summary: 'The storage path breaks a rule (segment length, control characters, total length).',
    message: (reason: string) => `Invalid storage path: ${reason}`,
  },
  NOT_A_FILE: { status: 400, summary: 'A write to a directory path (ending in `/`).', message: text('Target path must be a file') },
  RATE_LIMIT_NO_KEY: {
    status: 400,
    summary: 'A per-user rate limit applies but the request names no user.',
    message: text('Failed to extract key for rate limiting'),
  },
  AUTH_TOKEN_INVALID: {
    status: 400,
    summary: 'The posted AuthToken does not decode.',
    message: (reason: string) => `Invalid AuthToken: ${reason}`,
  },
  AUTH_TOKEN_TRUNCATED: { status: 400, summary: 'The posted AuthToken is shorter than its header.', message: detail },
  AUTH_TOKEN_UNKNOWN_VERSION: { status: 400, summary: 'The AuthToken version byte is not 0.', message: detail },
  AUTH_TOKEN_BAD_TIMESTAMP: { status: 400, summary: 'The AuthToken timestamp is out of range.', message: detail },
  AUTH_TOKEN_BAD_KEY: { status: 400, summary: 'The AuthToken public key is not an Ed25519 point.', message: detail },
  AUTH_TOKEN_BAD_CAPABILITIES: { status: 400, summary: 'The AuthToken capabilities do not parse.', message: detail },
  AUTH_TOKEN_FUTURE: { status: 400, summary: 'The AuthToken is from more than the window (3 minutes) in the future.', message: detail },
  AUTH_TOKEN_EXPIRED: { status: 400, summary: 'The AuthToken is from more than the window (3 minutes) in the past.', message: detail },
  AUTH_TOKEN_INVALID_SIGNATURE: { status: 400, summary: 'The AuthToken signature does not verify.', message: detail },
  AUTH_TOKEN_REPLAYED: { status: 400, summary: 'The AuthToken was already used.', message: text('AuthToken already used') },
  POSTCARD_UNEXPECTED_END: { status: 400, summary: 'The AuthToken ends inside its capabilities string.', message: detail },
  POSTCARD_BAD_VARINT: { status: 400, summary: 'The AuthToken capabilities length is not a terminated varint.', message: detail },
  POSTCARD_BAD_UTF8: { status: 400, summary: 'The AuthToken capabilities are not UTF-8.', message: detail },
  SIGNUP_TOKEN_FORMAT: {
    status: 400,
    summary: 'The signup token is not `XXXX-XXXX-XXXX` Crockford base32.',
    message: text('Invalid signup token format: Invalid signup code id'),
  },
  SIGNUP_TOKEN_REQUIRED: {
    status: 400,
    summary: 'Signup needs a token on this server and none was given.',
    message: text('Token required'),
  },
  SIGNUP_TOKENS_NOT_REQUIRED: {
    status: 400,
    summary: "Asking for a signup token's state while signup is open.",
    message: text('Signup tokens not required'),
  },
  GRANT_INVALID_FORMAT: {
    status: 400,
    summary: 'The grant is not a JWS with the grant claims.',
    message: text('Invalid grant: invalid grant format'),
  },
  GRANT_INVALID_TYPE: {
    status: 400,
    summary: 'The grant header `typ` is not `pubky-grant`.',
    message: text('Invalid grant: invalid grant header type, expected pubky-grant'),
  },
  INVALID_GRANT_ID: { status: 400, summary: 'A grant id in the URL is not one.', message: text('Invalid grant ID format') },
  SIGNUP_GRANT_CLIENT_ID: {
    status: 400,
    summary: 'A signup grant with another client id.',
    message: (clientId: string) => `Invalid signup grant: signup grants must use client_id ${clientId}`,
  },
  SIGNUP_GRANT_IAT: {
    status: 400,
    summary: 'A signup grant issued in the future.',
    message: text('Invalid signup grant: signup grant iat is too far in the future'),
  },
  SIGNUP_GRANT_LIFETIME: {
    status: 400,
    summary: 'A signup grant valid for more than 5 minutes.',
    message: text('Invalid signup grant: signup grant lifetime exceeds 5 minutes'),
  },
  INVALID_MIRROR_BODY: {
    status: 400,
    summary: 'The `PUT /mirror` body is not a JSON object.',
    message: text('The body must be a JSON object {"primary","grant"}'),
  },
  INVALID_MIRROR_FIELD: {
    status: 400,
    summary: 'A field of the `PUT /mirror` body is missing or of the wrong type.',
    message: (field: string, reason: string) => `Invalid field \`${field}\`: ${reason}`,
  },
  INVALID_MIRROR_GRANT: { status: 400, summary: 'The mirror grant does not verify or does not fit a mirror.', message: detail },
  MIRROR_OF_SELF: {
    status: 400,
    summary: "The mirror's primary is this homeserver.",
    message: text('The primary cannot be this homeserver'),
  },
  DAV_NO_DESTINATION: {
    status: 400,
    summary: 'WebDAV COPY/MOVE without a Destination header.',
    message: text('Destination header required'),
  },
  DAV_INVALID_XML: {
    status: 400,
    summary:
      'A WebDAV XML body (PROPFIND, PROPPATCH, LOCK) that is not well-formed, has a DOCTYPE, or is not the element the method takes.',
    message: (reason: string) => `Invalid XML request body: ${reason}`,
  },
  DAV_INVALID_IF: {
    status: 400,
    summary: 'A WebDAV `If` header (RFC 4918 §10.4) that does not parse.',
    message: (reason: string) => `Invalid If header: ${reason}`,
  },
  DAV_BAD_HEADER: {
    status: 400,
    summary: 'A WebDAV `Depth`, `Overwrite`, `Destination` or `Lock-Token` header this method cannot take.',
    message: detail,
  },

  // 401: no usable credentials
  NO_SESSION: {
    status: 401,
    summary: 'The request needs a session and carries none that is valid.',
    message: (message = 'No authenticated session found') => message,
  },
  PRIVATE_READ_UNAUTHENTICATED: {
    status: 401,
    summary: 'A read under `/priv/` without a session.',
    message: text('Authentication required to read private storage'),
  },
  GRANT_INVALID_SIGNATURE: {
    status: 401,
    summary: 'The grant is not signed by its issuer.',
    message: text('Invalid grant: invalid grant signature'),
  },
  GRANT_EXPIRED: { status: 401, summary: 'The grant has expired.', message: text('Invalid grant: grant has expired') },
  GRANT_REVOKED: { status: 401, summary: 'The grant was revoked.', message: text('Grant has been revoked') },
  GRANT_ID_CONFLICT: {
    status: 401,
    summary: 'Another grant already uses this grant id.',
    message: text('Invalid grant: grant id already used by another grant'),
  },
  POP_INVALID_FORMAT: {
    status: 401,
    summary: 'The proof of possession is not a JWS with its claims.',
    message: text('Invalid PoP proof: invalid PoP format'),
  },
  POP_INVALID_SIGNATURE: {
    status: 401,
    summary: "The proof of possession is not signed by the grant's `cnf` key.",
    message: text('Invalid PoP proof: invalid PoP signature'),
  },
  POP_INVALID_TYPE: {
    status: 401,
    summary: 'The proof header `typ` is not `pubky-pop`.',
    message: text('Invalid PoP proof: invalid PoP header type, expected pubky-pop'),
  },
  POP_AUDIENCE_MISMATCH: {
    status: 401,
    summary: 'The proof is for another homeserver.',
    message: text('Invalid PoP proof: PoP audience mismatch'),
  },
  POP_GRANT_MISMATCH: {
    status: 401,
    summary: 'The proof is for another grant.',
    message: text('Invalid PoP proof: PoP grant ID mismatch'),
  },
  POP_TIMESTAMP: {
    status: 401,
    summary: 'The proof is older or newer than the allowed window.',
    message: text('Invalid PoP proof: PoP timestamp out of range'),
  },
  POP_NONCE_REUSED: { status: 401, summary: "The proof's nonce was already used.", message: text('PoP nonce already used') },
  SIGNUP_TOKEN_INVALID: { status: 401, summary: 'The signup token does not exist.', message: text('Invalid token') },
  SIGNUP_TOKEN_USED: { status: 401, summary: 'The signup token was already used.', message: text('Token already used') },
  DAV_APP_PASSWORD: {
    status: 401,
    summary:
      "A user WebDAV request without a valid app password (Basic: the user's key and `pubky dav-password` output; revoked or expired grants fail).",
    message: text('Basic authentication required: user name = your public key, password = an app password from `pubky dav-password`'),
    headers: { 'www-authenticate': 'Basic realm="pubky: your public key and an app password (pubky dav-password)", charset="UTF-8"' },
  },
  ADMIN_BASIC_AUTH: {
    status: 401,
    summary: 'WebDAV without Basic authentication as `admin`.',
    message: text('Basic authentication as admin required'),
    headers: { 'www-authenticate': 'Basic realm="pubky homeserver admin", charset="UTF-8"' },
  },
  ADMIN_PASSWORD_MISSING: { status: 401, summary: 'An admin route without `X-Admin-Password`.', message: text('Missing admin password') },
  ADMIN_PASSWORD_INVALID: { status: 401, summary: 'An admin route with a wrong password.', message: text('Invalid admin password') },

  // 403: authenticated, not allowed
  WRITE_FORBIDDEN_ROOT: {
    status: 403,
    summary: 'A write outside `/pub/` and `/priv/`.',
    message: text("Writing to directories other than '/pub/' and '/priv/' is forbidden"),
  },
  READ_FORBIDDEN_ROOT: {
    status: 403,
    summary: 'A read outside `/pub/` and `/priv/`.',
    message: text("Reading from directories other than '/pub/' and '/priv/' is forbidden"),
  },
  SESSION_TENANT_MISMATCH: {
    status: 403,
    summary: "The session is another user's.",
    message: text('Session user does not match target tenant'),
  },
  NO_WRITE_ACCESS: {
    status: 403,
    summary: "The session's capabilities do not allow writing this path.",
    message: text('Session does not have write access to path'),
  },
  NO_READ_ACCESS: {
    status: 403,
    summary: "The session's capabilities do not allow reading this private path.",
    message: text('Session does not have read access to path'),
  },
  PRIVATE_STREAM_MULTI_USER: {
    status: 403,
    summary: 'A private event stream over more than one user.',
    message: text('A private read must be scoped to exactly one user'),
  },
  ROOT_CAPABILITY_REQUIRED: {
    status: 403,
    summary: 'Creating grants or signing up by grant needs the root capability `/:rw`.',
    message: text('Root capability required'),
  },
  GRANT_NOT_OWNED: { status: 403, summary: "Revoking another user's grant.", message: text('Grant does not belong to authenticated user') },
  MIRROR_ROOT_REQUIRED: {
    status: 403,
    summary: 'Managing a mirror needs the root capability `/:rw`.',
    message: text('Managing a mirror needs root capabilities'),
  },
  USER_DISABLED: { status: 403, summary: 'The user was disabled by the admin.', message: text('User is disabled') },
  WRITE_PATH_NOT_ALLOWED: {
    status: 403,
    summary: "The user's allowed write paths do not include this one.",
    message: text('Write to this path is not allowed'),
  },
  DAV_FORBIDDEN: { status: 403, summary: "A WebDAV operation outside users' `/pub/` and `/priv/`.", message: detail },
  DAV_NOT_LOCK_OWNER: {
    status: 403,
    summary: 'UNLOCK of a lock someone else took.',
    message: text('Forbidden: the lock belongs to someone else'),
  },

  // 404
  NOT_FOUND: { status: 404, summary: 'No such file, user or route.', message: text('Not Found') },
  USER_NOT_FOUND: { status: 404, summary: 'No such user on this homeserver.', message: text('Not Found') },
  DIRECTORY_NOT_FOUND: { status: 404, summary: 'A listing of a directory that holds no file.', message: text('Directory Not Found') },
  SESSION_NOT_FOUND: {
    status: 404,
    summary: "`GET /session` without a session while `drive.compat_session_404` is on (the reference's answer).",
    message: text('Not Found'),
  },
  SIGNUP_TOKEN_NOT_FOUND: { status: 404, summary: 'No such signup token.', message: text('Token not found') },
  GRANT_NOT_FOUND: { status: 404, summary: 'No such grant.', message: text('Not Found') },
  BLOB_MISSING: {
    status: 404,
    summary: "The file's bytes are gone from the blob store (the row is kept for the admin to see).",
    message: text('Not Found'),
  },
  NOT_MIRRORED: { status: 404, summary: 'The user has no mirror here.', message: text('This user is not mirrored here') },

  // 405-431
  METHOD_NOT_ALLOWED: { status: 405, summary: 'A method the route does not serve.', message: text('Method Not Allowed') },
  DAV_COLLECTION: { status: 405, summary: 'WebDAV GET or PUT on a collection.', message: detail },
  DAV_EXISTS: { status: 405, summary: 'WebDAV MKCOL where a file or collection exists.', message: detail },
  DAV_METHOD: {
    status: 405,
    summary: 'A method the WebDAV server does not implement.',
    message: (method: string) => `${method} is not a WebDAV method this server supports`,
  },
  REQUEST_ABORTED: {
    status: 400,
    summary: 'The client closed the connection before its body was complete (logged as one info line; nobody receives this answer).',
    message: text('The request was aborted before its body was complete'),
  },
  BODY_IDLE_TIMEOUT: {
    status: 408,
    summary: 'The body stalled longer than `drive.body_idle_timeout_ms`; the connection closes.',
    message: (ms: number) => `Request body stalled: no data for ${ms} ms`,
    headers: { connection: 'close' },
  },
  REQUEST_TIMEOUT: { status: 408, summary: 'The request headers did not arrive in time.', message: text('Request Timeout') },
  USER_EXISTS: { status: 409, summary: 'Signup of a user who exists.', message: text('User already exists') },
  PATH_COLLISION: {
    status: 409,
    summary: 'A file where a directory is, or a directory where a file is.',
    message: text('File/folder path collision'),
  },
  DAV_CONFLICT: {
    status: 409,
    summary: 'WebDAV: the parent collection of a new file or collection does not exist, or is a file.',
    message: detail,
  },
  DAV_LOCK_TOKEN_MISMATCH: {
    status: 409,
    summary: 'UNLOCK with a token that is not a lock of that resource.',
    message: text('Conflict: that lock token is not a lock of this resource'),
  },
  DAV_DESTINATION_EXISTS: {
    status: 412,
    summary: 'WebDAV COPY/MOVE onto an existing resource with `Overwrite: F`.',
    message: text('Destination exists and Overwrite is F'),
  },
  PRECONDITION_FAILED: {
    status: 412,
    summary: 'A conditional write (`If-Match` / `If-None-Match`) whose condition did not hold; nothing was written.',
    message: text('Precondition Failed: the file is not in the state If-Match / If-None-Match requires; read it again and retry'),
  },
  DAV_IF_FAILED: {
    status: 412,
    summary: 'A WebDAV `If` header none of whose lists holds (a lock token or ETag that is not current).',
    message: text('Precondition Failed: no list of the If header holds'),
  },
  DAV_NO_LOCK_TO_REFRESH: {
    status: 412,
    summary: 'A LOCK without a body (a refresh) whose If header names no lock of that resource.',
    message: text('Precondition Failed: a LOCK without a body refreshes the lock its If header names; none applies here'),
  },
  BODY_TOO_LARGE: {
    status: 413,
    summary: 'The body exceeds `drive.max_file_bytes` (files) or `drive.max_buffered_body_bytes` (tokens, JSON).',
    message: detail,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    summary: 'A JSON route without `Content-Type: application/json`.',
    message: text('Expected request with `Content-Type: application/json`'),
  },
  DAV_MKCOL_BODY: { status: 415, summary: 'WebDAV MKCOL with a body.', message: text('MKCOL with a body is not supported') },
  DAV_LOCKED: {
    status: 423,
    summary: 'A WebDAV write to a locked resource without its lock token, or a LOCK that conflicts with another.',
    message: detail,
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    summary: 'A `Range` that starts past the end of the file; `Content-Range` gives its length.',
    message: (length: number) => `Range Not Satisfiable: the file has ${length} bytes`,
  },
  INVALID_QUOTA: {
    status: 422,
    summary: 'The admin quota body does not have the expected fields.',
    message: (reason: string) => `Failed to deserialize the JSON body into the target type: ${reason}`,
  },
  INVALID_JSON_BODY: {
    status: 422,
    summary: 'The JSON body does not have the expected fields.',
    message: (reason: string) => `Failed to deserialize the JSON body into the target type: ${reason}`,
  },
  RATE_LIMITED: {
    status: 429,
    summary: 'A configured rate limit is exhausted; `Retry-After` says when to retry.',
    message: text('Rate limit exceeded'),
  },
  HEADERS_TOO_LARGE: { status: 431, summary: "The request headers exceed Node's limit.", message: text('Request Header Fields Too Large') },

  // 5xx: the server or its upstream
  INTERNAL: { status: 500, summary: 'A fault of the server (logged with the request).', message: text('Internal server error') },
  DAV_CONDITIONAL: {
    status: 501,
    summary:
      "A WebDAV condition this server does not honour (`If-Unmodified-Since`, `If-Match` on a method other than PUT and a file's DELETE).",
    message: detail,
  },
  MIRROR_PRIMARY_UNREACHABLE: {
    status: 502,
    summary: "The mirror's primary cannot be resolved or reached.",
    message: (primary: string, reason: string) => `Cannot mirror from ${primary}: ${reason}`,
  },
  MIRROR_PRIMARY_REFUSED: {
    status: 502,
    summary: "The mirror's primary refused the grant or does not hold the user.",
    message: (primary: string, reason: string) => `Cannot mirror from ${primary}: ${reason}`,
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    summary: 'The database (PostgreSQL profile) cannot be reached; `Retry-After` says when to retry.',
    message: text('Service Unavailable: the database is unreachable'),
  },
  SHUTTING_DOWN: {
    status: 503,
    summary: 'A request on a connection still open while the server shuts down (with `Connection: close`).',
    message: text('Service Unavailable: the server is shutting down'),
  },
  STALE_AUTH: {
    status: 503,
    summary: 'Internal: the session or user changed while a write was checked; the HTTP layer retries it, clients do not see it.',
    message: text('Service Unavailable'),
  },
  DAV_TOO_MANY_LOCKS: {
    status: 503,
    summary: 'More WebDAV locks than the server holds at once; retry later.',
    message: text('Too many locks held on this server; try again later'),
    headers: { 'retry-after': '60' },
  },
  QUOTA_EXCEEDED: { status: 507, summary: "The write would exceed the user's storage quota.", message: text('Disk space quota exceeded') },
  TOO_MANY_FILES: { status: 507, summary: 'A WebDAV listing larger than it serves; use the API page by page.', message: detail },
  DAV_TOO_MANY_USERS: {
    status: 507,
    summary: 'A WebDAV listing of more users than it serves; open `/dav/<user>/` directly.',
    message: (max: number) => `More than ${max} users: open /dav/<user>/ directly`,
  },
} as const satisfies Record<string, ErrorEntry>;

export type HomeserverErrorCode = keyof typeof HOMESERVER_ERRORS;

/** The details a code's message takes (what its factory is called with). */
export type ErrorDetails<C extends HomeserverErrorCode> = Parameters<(typeof HOMESERVER_ERRORS)[C]['message']>;

/**
 * Errors of starting the process (`HomeserverStartError`, `ConfigError`): no HTTP status, the
 * CLI prints them and exits 1.
 */
export const HOMESERVER_START_ERRORS = {
  CONFIG_INVALID: 'Start-up: a config value (file, env or flag) failed validation; the message names the key and what it expects.',
  PORT_IN_USE: "Start-up: a listen socket's port is taken (another homeserver or testnet?).",
  PORT_FORBIDDEN: 'Start-up: a port below 1024 without the privilege to bind it.',
  ADDRESS_UNAVAILABLE: "Start-up: a listen address that is not one of this machine's.",
  LISTEN_FAILED: "Start-up: a listen socket failed otherwise (the message has the system's reason).",
  PUBLISH_FAILED: "Start-up: the homeserver's PKARR packet could not be published to any relay or the DHT.",
} as const;

export type HomeserverStartCode = keyof typeof HOMESERVER_START_ERRORS;

/** The catalogue as the README documents it (the HTTP codes, then the start-up codes). */
export const HOMESERVER_ERROR_DOCS: ErrorDoc[] = [
  ...Object.entries(HOMESERVER_ERRORS).map(([code, e]) => ({ code, status: e.status, summary: e.summary })),
  ...Object.entries(HOMESERVER_START_ERRORS).map(([code, summary]) => ({ code, summary })),
];
