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
