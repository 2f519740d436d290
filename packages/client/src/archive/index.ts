// Account archives: a user's whole tree as one signed, portable ustar file (see the client README).
export { ArchiveError, isArchiveError, type ArchiveErrorCode } from './errors.ts';
export { exportArchive, type ExportArchiveOptions, type ExportArchiveResult } from './export.ts';
export { importArchive, type ImportArchiveOptions, type ImportArchiveResult } from './import.ts';
export {
  readArchiveManifest,
  verifyArchive,
  type ArchiveBlob,
  type ArchiveSource,
  type VerifiedArchive,
  type VerifyArchiveOptions,
} from './verify.ts';
export {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  SIGNATURE_DOMAIN,
  encodeManifest,
  signManifest,
  type ArchiveFile,
  type ArchiveManifest,
} from './manifest.ts';
export type { ArchiveProgress } from './progress.ts';
