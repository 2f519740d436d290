import { PubkyError } from '@pubky-ts/common';

/**
 * The codes of the errors the CLI raises itself (errors of the SDK and the servers pass through
 * with their own codes and are printed as `message (code)`). The README table is generated from this.
 */
export const CLI_ERRORS = {
  usage:
    'exit 2: the command line is wrong (a missing or malformed argument, options that do not fit together); the message says what to give',
  failed:
    'exit 1: the operation could not be done (a file that cannot be read or written, a damaged session file, an archive of another user)',
  not_found: 'exit 1: the file asked for does not exist',
  no_session: 'exit 1: no saved session for this user, or it has ended on its homeserver: sign in again',
  admin_api_error: "exit 1: a homeserver's admin API refused the password or answered without a signup token",
  interrupted: 'exit 1: stopped (Ctrl-C, or no approval in time) before it finished; what was done is kept, run it again to continue',
} as const;

export type CliErrorCode = keyof typeof CLI_ERRORS;

/** The catalogue as the README documents it. */
export const CLI_ERROR_DOCS = Object.entries(CLI_ERRORS).map(([code, summary]) => ({ code, summary }));

/**
 * An error the user caused on the command line: printed without a stack, with its exit code (2
 * for bad usage). The code defaults from the exit code: `usage` for 2, `failed` otherwise.
 */
export class CliError extends PubkyError {
  declare readonly code: CliErrorCode;
  constructor(
    message: string,
    readonly exitCode = 2,
    code: CliErrorCode = exitCode === 2 ? 'usage' : 'failed',
  ) {
    super(code, message);
    this.name = 'CliError';
  }
}
