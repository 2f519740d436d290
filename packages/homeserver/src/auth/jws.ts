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
import { HttpError } from '../http/errors.ts';

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

const ANSWERS: Record<GrantFailure, [status: number, code: string, text: string]> = {
  grant_format: [400, 'GRANT_INVALID_FORMAT', 'Invalid grant: invalid grant format'],
  grant_signature: [401, 'GRANT_INVALID_SIGNATURE', 'Invalid grant: invalid grant signature'],
  grant_type: [400, 'GRANT_INVALID_TYPE', 'Invalid grant: invalid grant header type, expected pubky-grant'],
  grant_expired: [401, 'GRANT_EXPIRED', 'Invalid grant: grant has expired'],
  pop_format: [401, 'POP_INVALID_FORMAT', 'Invalid PoP proof: invalid PoP format'],
  pop_signature: [401, 'POP_INVALID_SIGNATURE', 'Invalid PoP proof: invalid PoP signature'],
  pop_type: [401, 'POP_INVALID_TYPE', 'Invalid PoP proof: invalid PoP header type, expected pubky-pop'],
  pop_audience: [401, 'POP_AUDIENCE_MISMATCH', 'Invalid PoP proof: PoP audience mismatch'],
  pop_grant: [401, 'POP_GRANT_MISMATCH', 'Invalid PoP proof: PoP grant ID mismatch'],
  pop_timestamp: [401, 'POP_TIMESTAMP', 'Invalid PoP proof: PoP timestamp out of range'],
};

function answered<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof GrantError)) throw e;
    const [status, code, text] = ANSWERS[e.failure];
    throw new HttpError(status, code, text);
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
