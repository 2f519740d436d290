import type { ErrorDoc } from '@pubky-ts/common';
import type { ArchiveErrorCode } from './archive/errors.ts';
import type { EncryptionErrorCode } from './crypto/encryption-error.ts';
import type { ClientErrorCode } from './errors.ts';

/**
 * When each SDK code is thrown, and by which class. Typed against the code unions, so a code added
 * to one of them without a line here fails the typecheck; the README table is rendered from it.
 */
export const CLIENT_ERRORS = {
  // URLs and arguments
  invalid_pubky_url: '`ClientError`: not a `pubky://<user>/<path>` (or `pubky<user>/…`) address',
  invalid_argument: '`ClientError`: an argument the method cannot use (the message names it)',
  invalid_session_export: '`ClientError`: `restoreSession` got something that is not an exported session',
  // HTTP answers (PubkyHttpError, from the status: see httpErrorCode)
  bad_request: '`PubkyHttpError` 400 or 422: the server refused the request as malformed',
  unauthorized: '`PubkyHttpError` 401: no valid session for this request',
  forbidden: '`PubkyHttpError` 403: the session may not do this (capabilities, another user, outside /pub/ and /priv/)',
  not_found: '`PubkyHttpError` 404 or 410: no such file, user or route',
  conflict: '`PubkyHttpError` 409: the user exists, or a file/directory collision',
  payload_too_large: '`PubkyHttpError` 413: the body is larger than the server accepts',
  rate_limited: '`PubkyHttpError` 429: a rate limit; `retryAfter` says when to retry',
  quota_exceeded: "`PubkyHttpError` 507: the write would exceed the user's quota",
  server_error: '`PubkyHttpError` 5xx: a fault of the server',
  http_error: '`PubkyHttpError`: any other non-success status',
  network_error: '`ClientError`: the server could not be reached (connection refused, DNS, reset)',
  aborted: "`ClientError`: the caller's signal fired or a timeout ran out",
  invalid_response: '`ClientError`: the server answered with a body the SDK cannot read',
  // PKARR resolution (PkarrResolutionError, `key` names whose records)
  user_packet_not_found: '`PkarrResolutionError`: the user has no PKARR packet (never signed up, or it expired)',
  homeserver_not_found: "`PkarrResolutionError` (`ClientError` from `migrate`): the user's packet names no homeserver",
  homeserver_packet_not_found: '`PkarrResolutionError`: the homeserver has no PKARR packet',
  no_usable_endpoint: "`PkarrResolutionError`: the homeserver's packet has no HTTPS/HTTP endpoint this client can use",
  pkarr_unavailable: '`PkarrResolutionError`: neither relays nor the DHT answered',
  publish_failed: "`PkarrResolutionError`: the user's record could not be published",
  // auth flow (AuthFlowError)
  invalid_deep_link: '`AuthFlowError`: not a `pubkyauth://` link',
  unsupported_deep_link: '`AuthFlowError`: a `pubkyauth://` link of a kind this SDK does not handle',
  auth_flow_relay_error: '`AuthFlowError`: the HTTP relay failed',
  auth_flow_timeout: '`AuthFlowError`: reserved; this version ends a wait through its `signal` (`auth_flow_aborted`)',
  auth_flow_aborted: '`AuthFlowError`: the caller stopped waiting',
  auth_flow_decrypt_failed: "`AuthFlowError`: the relay's payload does not decrypt with the flow's secret",
  auth_flow_bad_payload: '`AuthFlowError`: the relay delivered an empty or oversized message, or one that is not a payload of this flow',
  invalid_auth_flow_state: '`AuthFlowError`: `AuthFlow.resume` got a state this SDK did not save',
  // events
  invalid_sse: '`ClientError`: the event stream is not valid server-sent events',
  invalid_event: '`ClientError`: an event of the stream does not parse',
  invalid_events_feed: '`ClientError`: the `/events/` feed does not parse',
  // grants
  invalid_grant: '`ClientError`: a grant that does not decode or verify',
  // moving data between homeservers
  integrity_error: '`ClientError`: bytes that do not hash to what was promised',
  migration_incomplete: '`ClientError`: a migration stopped before every file was copied (run it again to continue)',
  // account archives (ArchiveError)
  archive_invalid: '`ArchiveError`: not a pubky archive (tar structure, a header that does not check out, an unexpected entry)',
  archive_truncated: '`ArchiveError`: the archive ends before its last entry does',
  archive_manifest_invalid: '`ArchiveError`: manifest.json is not a valid version-1 manifest',
  archive_signature_invalid: '`ArchiveError`: manifest.sig is not a signature of manifest.json by its user',
  archive_hash_mismatch: "`ArchiveError`: a blob's bytes do not hash to what its name and the manifest say",
  archive_size_mismatch: "`ArchiveError`: a blob's length differs from the manifest",
  archive_missing_blob: '`ArchiveError`: the manifest names contents the archive does not hold',
  archive_unreferenced_entry: '`ArchiveError`: the archive holds a blob the manifest does not name',
  archive_duplicate_entry: '`ArchiveError`: the archive holds the same blob twice',
  archive_wrong_user: '`ArchiveError`: the archive belongs to another user than the session',
  archive_source_changed: '`ArchiveError`: a file changed on the homeserver while it was being exported',
  archive_import_mismatch: '`ArchiveError`: after an import, a file on the homeserver does not match the manifest',
  archive_too_large: '`ArchiveError`: a file or manifest is beyond what the format holds',
  // encrypted files (EncryptionError)
  invalid_age_key: '`EncryptionError`: an `age1…` recipient or `AGE-SECRET-KEY-1…` identity that does not parse',
  age_malformed_header: '`EncryptionError`: the bytes are not an age v1 file',
  age_no_matching_key: '`EncryptionError`: none of the keys at hand opens the file',
  age_header_tampered: "`EncryptionError`: the header's MAC does not match",
  age_payload_tampered: '`EncryptionError`: a payload chunk fails authentication',
  age_truncated: '`EncryptionError`: the payload ends before its final chunk',
  encrypted_file_changed: '`EncryptionError`: the file changed on the homeserver while a ranged reader had it open',
  encryption_invalid_argument: '`EncryptionError`: a range outside the plaintext, or a bad argument to an encryption API',
  invalid_share: '`EncryptionError`: a share envelope that does not hold a key this SDK understands',
} as const satisfies Record<ClientErrorCode | ArchiveErrorCode | EncryptionErrorCode, string>;

/** The catalogue as the README documents it. */
export const CLIENT_ERROR_DOCS: ErrorDoc[] = Object.entries(CLIENT_ERRORS).map(([code, summary]) => ({ code, summary }));
