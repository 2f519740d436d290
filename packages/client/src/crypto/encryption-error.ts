import { PubkyError } from '@pubky-ts/common';

/**
 * Stable codes of the errors raised while encrypting or decrypting age files. None of them ever
 * carries key material or plaintext in its message.
 */
export type EncryptionErrorCode =
  /** An `age1…` recipient or `AGE-SECRET-KEY-1…` identity that does not parse. */
  | 'invalid_age_key'
  /** The bytes are not an age v1 file (wrong version line, broken stanza, header too large). */
  | 'age_malformed_header'
  /** None of the keys at hand opens any of the file's recipient stanzas (wrong key, another recipient). */
  | 'age_no_matching_key'
  /** The header's MAC does not match: the header was changed after it was written. */
  | 'age_header_tampered'
  /** A payload chunk fails authentication: tampered, swapped, reordered or cut at the wrong place. */
  | 'age_payload_tampered'
  /** The payload ends before its final chunk (the file was cut short). */
  | 'age_truncated'
  /** The file changed on the homeserver while a ranged reader had it open. */
  | 'encrypted_file_changed'
  /** A range outside the plaintext, or a bad argument to an encryption API. */
  | 'encryption_invalid_argument'
  /** A share envelope that does not hold a key this SDK understands. */
  | 'invalid_share';

export class EncryptionError extends PubkyError {
  declare readonly code: EncryptionErrorCode;
  constructor(code: EncryptionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EncryptionError';
  }
}
