import { PubkyError } from '@pubky-ts/common';

/** A fresh single-use signup token from a homeserver's admin API (`GET /generate_signup_token`). */
export async function fetchSignupToken(adminUrl: string, password: string, timeoutMs = 10_000): Promise<string> {
  const res = await fetch(`${adminUrl.replace(/\/+$/, '')}/generate_signup_token`, {
    headers: { 'X-Admin-Password': password },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.text()).trim();
  if (!res.ok) throw new SignupTokenError(res.status, body);
  return body;
}

/** The admin API answered, but not with a token. */
export class SignupTokenError extends PubkyError {
  declare readonly code: 'admin_api_error';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(
      'admin_api_error',
      status === 401 || status === 403
        ? `the admin API refused the password (${status})`
        : `the admin API answered ${status}: ${body.slice(0, 200)}`,
    );
    this.name = 'SignupTokenError';
  }
}
