import { AuthToken, DEFAULT_AUTH_TOKEN_WINDOW_SECONDS, PubkyError } from '@pubky-ts/common';
import { HttpError } from '../http/errors.ts';
import type { AuthTokenReplayGuard } from '../storage/types.ts';

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
    if (e instanceof PubkyError) throw new HttpError(400, e.code.toUpperCase(), e.message);
    throw new HttpError(400, 'AUTH_TOKEN_INVALID', `Invalid AuthToken: ${(e as Error).message}`);
  }
  // Remember the id for twice the window: a token outside ±window is refused by time anyway.
  const expiresAt = token.timestamp + 2 * DEFAULT_AUTH_TOKEN_WINDOW_SECONDS * 1e6;
  if (!(await guard.markUsed(token.replayId, Math.max(expiresAt, nowMicros + DEFAULT_AUTH_TOKEN_WINDOW_SECONDS * 1e6)))) {
    throw new HttpError(400, 'AUTH_TOKEN_REPLAYED', 'AuthToken already used');
  }
  return token;
}
