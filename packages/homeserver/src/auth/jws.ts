import {
  decodeJws as decodeCommonJws,
  GrantError,
  signJws,
  verifyGrant as verifyCommonGrant,
  verifyPop as verifyCommonPop,
  type Capabilities,
  type DecodedJws,
  type GrantFailure,
  type PopClaims,
  type PublicKey,
} from '@pubky-ts/common';
import { httpError, type HomeserverErrorCode } from '../http/errors.ts';

/**
 * Grant auth tokens (spec §3.6) as the HTTP API answers them: the checks are common's
 * (`grant.ts`); this file gives each failed check the reference's status, code and text.
 */

/** A verified grant, in the shape the routes and the grant store use. */
export interface GrantClaims {
  iss: PublicKey;
  clientId: string;
  caps: Capabilities;
  cnf: PublicKey;
  jti: string;
  iat: number;
  exp: number;
}

export type { PopClaims };
export { GRANT_ID, NONCE_MAX_AGE_S, POP_WINDOW_S } from '@pubky-ts/common';
export { signJws };

/** Splits and decodes a compact JWS without verifying it; null when it is not one. */
export function decodeJws(token: string): DecodedJws | null {
  try {
    return decodeCommonJws(token);
  } catch {
    return null;
  }
}

/** The catalogue code each failed check answers with (status and text are the catalogue's). */
const ANSWERS: Record<GrantFailure, HomeserverErrorCode> = {
  grant_format: 'GRANT_INVALID_FORMAT',
  grant_signature: 'GRANT_INVALID_SIGNATURE',
  grant_type: 'GRANT_INVALID_TYPE',
  grant_expired: 'GRANT_EXPIRED',
  pop_format: 'POP_INVALID_FORMAT',
  pop_signature: 'POP_INVALID_SIGNATURE',
  pop_type: 'POP_INVALID_TYPE',
  pop_audience: 'POP_AUDIENCE_MISMATCH',
  pop_grant: 'POP_GRANT_MISMATCH',
  pop_timestamp: 'POP_TIMESTAMP',
};

function answered<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof GrantError)) throw e;
    throw httpError(ANSWERS[e.failure]);
  }
}

/** Verifies a Grant JWS (spec §3.6.3 step 1): format 400, signature 401, `typ` 400, expiry 401. `nowS` is unix seconds. */
export function verifyGrant(token: string, nowS: number): GrantClaims {
  const g = answered(() => verifyCommonGrant(token, nowS));
  const { client_id: clientId, jti, iat, exp } = g.claims;
  return { iss: g.issuer, clientId, caps: g.capabilities, cnf: g.clientKey, jti, iat, exp };
}

/** Verifies a PoP JWS against a verified grant and this homeserver (spec §3.6.3 step 3); all failures 401. */
export function verifyPop(token: string, grant: GrantClaims, homeserver: string, nowS: number): PopClaims {
  return answered(() => verifyCommonPop(token, { clientKey: grant.cnf, grantId: grant.jti }, homeserver, nowS));
}
