import { AuthToken, DEFAULT_AUTH_TOKEN_WINDOW_SECONDS, PubkyError } from '@pubky-ts/common';
import { httpError, type HomeserverErrorCode } from '../http/errors.ts';
import type { AuthTokenReplayGuard } from '../storage/types.ts';

/** The codes `AuthToken.verify` throws, as the homeserver answers them (400 with common's message). */
const TOKEN_CODES = new Map<string, HomeserverErrorCode>(
  (
    [
      'AUTH_TOKEN_TRUNCATED',
      'AUTH_TOKEN_UNKNOWN_VERSION',
      'AUTH_TOKEN_BAD_TIMESTAMP',
      'AUTH_TOKEN_BAD_KEY',
      'AUTH_TOKEN_BAD_CAPABILITIES',
      'AUTH_TOKEN_FUTURE',
      'AUTH_TOKEN_EXPIRED',
      'AUTH_TOKEN_INVALID_SIGNATURE',
      'POSTCARD_UNEXPECTED_END',
      'POSTCARD_BAD_VARINT',
      'POSTCARD_BAD_UTF8',
    ] as const
  ).map((code) => [code.toLowerCase(), code]),
);

/**
 * Verifies a posted AuthToken (spec §3.1.3): every failure, including truncated or garbage bodies,
 * is a 400 with the reference's text. The replay guard lives in the store, so a token cannot be
 * replayed against another process sharing the same database either.
 */
export async function verifyAuthToken(body: Uint8Array, guard: AuthTokenReplayGuard, nowMicros: number): Promise<AuthToken> {
  let token: AuthToken;
  try {
    token = AuthToken.verify(body, { nowMicros });
  } catch (e) {
    const code = e instanceof PubkyError ? TOKEN_CODES.get(e.code) : undefined;
    if (code) throw httpError(code, (e as PubkyError).message);
    throw httpError('AUTH_TOKEN_INVALID', (e as Error).message);
  }
  // Remember the id for twice the window: a token outside ±window is refused by time anyway.
  const expiresAt = token.timestamp + 2 * DEFAULT_AUTH_TOKEN_WINDOW_SECONDS * 1e6;
  if (!(await guard.markUsed(token.replayId, Math.max(expiresAt, nowMicros + DEFAULT_AUTH_TOKEN_WINDOW_SECONDS * 1e6)))) {
    throw httpError('AUTH_TOKEN_REPLAYED');
  }
  return token;
}
