// Grants on the SDK side: the claims, signing and the signature checks are common's (`grant.ts`);
// here the checks an app adds (issued to this client key) and the grant exchange's answers.
import {
  BEARER_TOKEN,
  decodeJws as decodeCommonJws,
  PubkyError,
  verifyGrant as verifyCommonGrant,
  type PublicKey,
  type VerifiedGrant,
} from '@pubky-ts/common';
import { ClientError } from './errors.ts';

export {
  createGrant,
  createPop,
  DEFAULT_GRANT_LIFETIME_SECONDS,
  GRANT_TYP,
  POP_TYP,
  randomId,
  signJws,
  SIGNUP_CLIENT_ID,
  type CreateGrantOptions,
  type GrantClaims,
  type PopClaims,
  type VerifiedGrant,
} from '@pubky-ts/common';

function bad(message: string): ClientError {
  return new ClientError('invalid_grant', message);
}

/** Decodes a compact JWS (common's codec) with the claims typed; ClientError `invalid_grant` otherwise. */
export function decodeJws<T>(jws: string): { header: Record<string, unknown>; claims: T; signingInput: Uint8Array; signature: Uint8Array } {
  try {
    const d = decodeCommonJws(jws);
    return { header: d.header, claims: d.payload as T, signingInput: d.signingInput, signature: d.signature };
  } catch (e) {
    throw bad(`malformed JWS: ${(e as Error).message}`);
  }
}

/**
 * Checks what an app can check locally: shape, the issuer's signature, `typ`, expiry, and (when
 * given) that the grant was issued to `expectedClientKey`. Failures are ClientError `invalid_grant`.
 */
export function verifyGrant(jws: string, options: { expectedClientKey?: PublicKey; nowSeconds?: number } = {}): VerifiedGrant {
  let grant: VerifiedGrant;
  try {
    grant = verifyCommonGrant(jws, options.nowSeconds);
  } catch (e) {
    if (e instanceof PubkyError) throw bad(e.message);
    throw e;
  }
  if (options.expectedClientKey && !grant.clientKey.equals(options.expectedClientKey)) {
    throw bad('the grant was issued to another client key');
  }
  return grant;
}

/** The body of a successful `POST /auth/grant/session` (and of `GET /auth/grant/session`, without token). */
export interface GrantSessionInfo {
  homeserver: string;
  pubky: string;
  client_id: string;
  capabilities: string[];
  grant_id: string;
  token_expires_at: number;
  grant_expires_at: number;
  created_at: number;
}

export function parseGrantSessionResponse(text: string): { token: string; session: GrantSessionInfo } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ClientError('invalid_response', 'the grant exchange answer is not JSON');
  }
  const o = json as { token?: unknown; session?: unknown };
  if (typeof o?.token !== 'string' || !BEARER_TOKEN.test(o.token)) {
    throw new ClientError('invalid_response', 'the grant exchange answer has no valid bearer token');
  }
  return { token: o.token, session: parseGrantSessionInfo(o.session) };
}

export function parseGrantSessionInfo(value: unknown): GrantSessionInfo {
  const s = value as Partial<GrantSessionInfo> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.pubky !== 'string' ||
    !Array.isArray(s.capabilities) ||
    !s.capabilities.every((c) => typeof c === 'string') ||
    typeof s.token_expires_at !== 'number'
  ) {
    throw new ClientError('invalid_response', 'the grant session info is malformed');
  }
  return s as GrantSessionInfo;
}
