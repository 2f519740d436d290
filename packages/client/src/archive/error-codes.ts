// The codes of ArchiveError, apart from the class so that the SDK's list of codes (errors.ts) can
// name them without importing the class, which extends ClientError from there.
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
