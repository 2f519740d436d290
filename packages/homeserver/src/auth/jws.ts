import { Capabilities, decodeJws as decodeCommonJws, PublicKey, signJws, type DecodedJws } from '@pubky-ts/common';
import { HttpError } from '../http/errors.ts';

/**
 * Grant auth tokens (spec §3.6): JWS Compact with EdDSA (Ed25519), base64url without padding.
 * A Grant is signed by the user key and delegates capabilities to a client key (`cnf`); a PoP is
 * signed by that client key, bound to one homeserver (`aud`) and one grant (`gid`).
 */

export interface GrantClaims {
  iss: PublicKey;
  clientId: string;
  caps: Capabilities;
  cnf: PublicKey;
  jti: string;
  iat: number;
  exp: number;
}

export interface PopClaims {
  aud: string;
  gid: string;
  nonce: string;
  iat: number;
}

/** Grant ids and PoP nonces: 1..22 chars of base64url (delta §6). */
export const GRANT_ID = /^[A-Za-z0-9_-]{1,22}$/;
/** PoP `iat` tolerance and the nonce memory (twice that). */
export const POP_WINDOW_S = 180;
export const NONCE_MAX_AGE_S = 360;

/** Splits and decodes a compact JWS without verifying it; null when it is not one. */
export function decodeJws(token: string): DecodedJws | null {
  try {
    return decodeCommonJws(token);
  } catch {
    return null;
  }
}

export { signJws };

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

const grantFormat = (): HttpError => new HttpError(400, 'GRANT_INVALID_FORMAT', 'Invalid grant: invalid grant format');

function parseGrantClaims(p: Record<string, unknown>): GrantClaims {
  const { iss, client_id: clientId, caps, cnf, jti, iat, exp } = p;
  if (typeof iss !== 'string' || typeof cnf !== 'string') throw grantFormat();
  if (typeof clientId !== 'string' || clientId.length < 1 || clientId.length > 253) throw grantFormat();
  if (!Array.isArray(caps) || caps.some((c) => typeof c !== 'string')) throw grantFormat();
  if (typeof jti !== 'string' || !GRANT_ID.test(jti) || !isInt(iat) || !isInt(exp)) throw grantFormat();
  let issKey: PublicKey;
  let cnfKey: PublicKey;
  let capabilities: Capabilities;
  try {
    issKey = PublicKey.parseZ32(iss);
    cnfKey = PublicKey.parseZ32(cnf);
    capabilities = Capabilities.from(caps as string[]);
  } catch {
    throw grantFormat();
  }
  return { iss: issKey, clientId, caps: capabilities, cnf: cnfKey, jti, iat, exp };
}

/**
 * Verifies a Grant JWS (spec §3.6.3 step 1): format 400, signature 401, `typ` 400, expiry 401.
 * `nowS` is unix seconds.
 */
export function verifyGrant(token: string, nowS: number): GrantClaims {
  const jws = decodeJws(token);
  if (!jws) throw grantFormat();
  const claims = parseGrantClaims(jws.payload);
  if (jws.header.alg !== 'EdDSA' || !claims.iss.verify(jws.signingInput, jws.signature)) {
    throw new HttpError(401, 'GRANT_INVALID_SIGNATURE', 'Invalid grant: invalid grant signature');
  }
  if (jws.header.typ !== 'pubky-grant') {
    throw new HttpError(400, 'GRANT_INVALID_TYPE', 'Invalid grant: invalid grant header type, expected pubky-grant');
  }
  if (!(claims.exp > nowS)) throw new HttpError(401, 'GRANT_EXPIRED', 'Invalid grant: grant has expired');
  return claims;
}

const popError = (code: string, detail: string): HttpError => new HttpError(401, code, `Invalid PoP proof: ${detail}`);

/** Verifies a PoP JWS against a verified grant and this homeserver (spec §3.6.3 step 3); all failures 401. */
export function verifyPop(token: string, grant: GrantClaims, homeserver: string, nowS: number): PopClaims {
  const jws = decodeJws(token);
  if (!jws) throw popError('POP_INVALID_FORMAT', 'invalid PoP format');
  const { aud, gid, nonce, iat } = jws.payload;
  if (typeof aud !== 'string' || !isInt(iat)) throw popError('POP_INVALID_FORMAT', 'invalid PoP format');
  if (typeof gid !== 'string' || typeof nonce !== 'string' || !GRANT_ID.test(gid) || !GRANT_ID.test(nonce)) {
    throw popError('POP_INVALID_SIGNATURE', 'invalid PoP signature');
  }
  if (jws.header.alg !== 'EdDSA' || !grant.cnf.verify(jws.signingInput, jws.signature)) {
    throw popError('POP_INVALID_SIGNATURE', 'invalid PoP signature');
  }
  if (jws.header.typ !== 'pubky-pop') throw popError('POP_INVALID_TYPE', 'invalid PoP header type, expected pubky-pop');
  if (aud !== homeserver) throw popError('POP_AUDIENCE_MISMATCH', 'PoP audience mismatch');
  if (gid !== grant.jti) throw popError('POP_GRANT_MISMATCH', 'PoP grant ID mismatch');
  if (Math.abs(nowS - iat) > POP_WINDOW_S) throw popError('POP_TIMESTAMP', 'PoP timestamp out of range');
  return { aud, gid, nonce, iat };
}
