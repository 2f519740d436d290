/** One finding of `pubky homeserver doctor` (a file of its own: the checks and the runner both use it). */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface CheckResult {
  /** Stable name of the check (`data-dir`, `secret-key`, `pkarr-packet`, …). */
  check: string;
  status: CheckStatus;
  /** What was found, in words. */
  message: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}
