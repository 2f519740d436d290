/** Progress of an export, a verification or an import, reported as it goes. */
export interface ArchiveProgress {
  /**
   * export: `listing` → `scanning` (HEAD of each file) → `writing`;
   * import: `verifying` (the whole archive) → `uploading` → `checking` (ETags) → `pruning`.
   */
  phase: 'listing' | 'scanning' | 'writing' | 'verifying' | 'uploading' | 'checking' | 'pruning';
  /** Files (or, while verifying and writing, distinct contents) done so far in this phase. */
  files: number;
  totalFiles: number;
  /** Content bytes done so far in this phase (0 in phases that move no content). */
  bytes: number;
  totalBytes: number;
}
