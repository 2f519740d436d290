/**
 * The base of every error a caller or a peer can cause. `code` is stable and documented; `message`
 * says what went wrong and, where it can, what to do about it.
 */
export class PubkyError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PubkyError';
    this.code = code;
  }
}

/**
 * Every code this package throws, with when (the README table is generated from this object).
 * `MerkleError` and `GrantError` carry theirs as subclasses.
 */
export const COMMON_ERRORS = {
  // keys and encodings
  invalid_public_key: 'not a public key: wrong length, not z-base-32, not canonical, or not a curve point',
  invalid_secret_key: 'a secret key (or key file) that is not 32 bytes / 64 hexadecimal characters',
  invalid_z32: 'a character outside the z-base-32 alphabet',
  invalid_crockford: 'a character outside Crockford base32 (signup tokens)',
  invalid_hex: 'text that is not an even number of hexadecimal digits',
  invalid_base64: 'text that is not base64 / base64url (length, alphabet, padding bits)',
  invalid_utf8: 'bytes that are not UTF-8',
  invalid_varint: 'a number a postcard varint cannot hold',
  postcard_unexpected_end: 'postcard bytes end early (AuthToken, SessionInfo)',
  postcard_bad_varint: 'a postcard varint that does not terminate',
  postcard_bad_utf8: 'a postcard string that is not UTF-8',
  // capabilities, paths, tokens and sessions
  invalid_capability: 'a capability that is not `<scope>:<actions>` with actions from `rw`',
  invalid_path: 'a storage path that breaks a rule (segment or total length, control characters, `..` above the root)',
  auth_token_truncated: 'an AuthToken shorter than its header',
  auth_token_unknown_version: 'an AuthToken version other than 0',
  auth_token_bad_timestamp: 'an AuthToken timestamp beyond 2^53',
  auth_token_bad_key: 'an AuthToken public key that is not a curve point',
  auth_token_bad_capabilities: 'AuthToken capabilities that do not parse',
  auth_token_future: 'an AuthToken from more than the window (3 minutes) ahead',
  auth_token_expired: 'an AuthToken from more than the window (3 minutes) ago',
  auth_token_invalid_signature: 'an AuthToken whose signature does not verify',
  session_info_unknown_version: 'a SessionInfo of a newer version',
  // JWS, grants and proofs (GrantError: `failure` names the check)
  invalid_jws: 'not a compact EdDSA JWS (parts, base64url, JSON, signature length)',
  invalid_grant: '`GrantError`: a grant that does not verify (format, signature, type, expiry)',
  invalid_pop: '`GrantError`: a proof of possession that does not verify (format, signature, type, audience, grant, time)',
  // encryption and recovery files
  invalid_key: 'an encryption key that is not 32 bytes',
  decryption_failed: 'a secretbox message that is too short or does not decrypt (wrong key, damaged)',
  invalid_recovery_file: 'not a recovery file (spec line, length)',
  wrong_passphrase: 'a recovery file that does not decrypt with this passphrase',
  // shared wire formats
  invalid_sse: "an event stream line or event longer than the parser's limits",
  invalid_event: 'an event-stream message that is not a Pubky event',
  invalid_events_feed: 'an `/events/` page that does not parse',
  invalid_response: 'a mirror status JSON that does not have its fields',
  // Merkle Search Tree (MerkleError: bytes from a broken or lying peer)
  merkle_node_malformed: '`MerkleError`: a tree node that does not decode',
  merkle_node_noncanonical: '`MerkleError`: a tree node that decodes but is not in canonical form',
  merkle_hash_mismatch: '`MerkleError`: a node whose hash is not the one asked for',
  merkle_proof_incomplete: '`MerkleError`: a proof or diff answer that lacks a node it needs',
  merkle_proof_too_long: '`MerkleError`: a proof that goes on below where its key must be',
  merkle_key_invalid: '`MerkleError`: reserved (declared, not thrown by this version)',
} as const;

export type CommonErrorCode = keyof typeof COMMON_ERRORS;

/** A `PubkyError` with one of this package's codes (the factory every throw site in common uses). */
export function commonError(code: CommonErrorCode, message: string, options?: { cause?: unknown }): PubkyError {
  return new PubkyError(code, message, options);
}

/** The catalogue as the README documents it. */
export const COMMON_ERROR_DOCS: Array<{ code: string; summary: string }> = Object.entries(COMMON_ERRORS).map(([code, summary]) => ({
  code,
  summary,
}));
