// Errors of account archives: a `ClientError` (so `instanceof ClientError` and `err.code` work) whose
// code names what is wrong with the archive, and a message saying where.
import { ClientError } from '../errors.ts';

export type ArchiveErrorCode =
  /** Not a pubky archive: bad tar structure, a header that does not check out, an unexpected entry. */
  | 'archive_invalid'
  /** The archive ends before its last entry does (or before the end-of-archive marker). */
  | 'archive_truncated'
  /** manifest.json is not a valid version-1 manifest. */
  | 'archive_manifest_invalid'
  /** manifest.sig is not a signature of manifest.json by the manifest's user. */
  | 'archive_signature_invalid'
  /** A blob's bytes do not hash to what its name and the manifest say. */
  | 'archive_hash_mismatch'
  /** A blob's length differs from the size the manifest gives. */
  | 'archive_size_mismatch'
  /** The manifest names contents the archive does not hold. */
  | 'archive_missing_blob'
  /** The archive holds a blob the manifest does not name. */
  | 'archive_unreferenced_entry'
  /** The archive holds the same blob twice. */
  | 'archive_duplicate_entry'
  /** The archive belongs to another user than the session. */
  | 'archive_wrong_user'
  /** A file changed on the homeserver while it was being exported. */
  | 'archive_source_changed'
  /** After an import, a file on the homeserver does not match the manifest. */
  | 'archive_import_mismatch'
  /** A file or manifest is beyond what the format holds. */
  | 'archive_too_large';

export class ArchiveError extends ClientError {
  declare readonly code: ArchiveErrorCode;
  constructor(code: ArchiveErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ArchiveError';
  }
}

export function isArchiveError(e: unknown): e is ArchiveError {
  return e instanceof ArchiveError;
}
