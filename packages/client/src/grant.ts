// Grants (homeserver spec §3.6): the user key signs a long-lived JWS delegating capabilities to a
// client key; the client proves possession with a short-lived PoP JWS and gets a 1 h bearer.
import {
  base64urlEncode,
  Capabilities,
  decodeJws as decodeCommonJws,
  PublicKey,
  randomBytes,
  signJws,
  type Keypair,
} from '@pubky-ts/common';
import { ClientError } from './errors.ts';

export const GRANT_TYP = 'pubky-grant';
export const POP_TYP = 'pubky-pop';
/** The reference SDK's default grant lifetime: two years. */
export const DEFAULT_GRANT_LIFETIME_SECONDS = 2 * 365 * 24 * 3600;
/** Signup grants must live at most 5 minutes and use this client id (spec §3.6.5). */
export const SIGNUP_CLIENT_ID = 'pubky.signup';

export interface GrantClaims {
  iss: string;
  client_id: string;
  caps: string[];
  cnf: string;
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

function bad(message: string): ClientError {
  return new ClientError('invalid_grant', message);
}

/** A fresh grant id or PoP nonce: base64url of 16 random bytes (22 characters). */
export function randomId(): string {
  return base64urlEncode(randomBytes(16));
}

export { signJws };

/** Decodes a compact JWS (common's codec) with the grant claims typed; ClientError `invalid_grant` otherwise. */
export function decodeJws<T>(jws: string): { header: Record<string, unknown>; claims: T; signingInput: Uint8Array; signature: Uint8Array } {
  try {
    const d = decodeCommonJws(jws);
    return { header: d.header, claims: d.payload as T, signingInput: d.signingInput, signature: d.signature };
  } catch (e) {
    throw bad(`malformed JWS: ${(e as Error).message}`);
  }
}

export interface CreateGrantOptions {
  clientId: string;
  clientKey: PublicKey;
  capabilities: Capabilities | string | string[];
  lifetimeSeconds?: number;
  /** Unix seconds; defaults to now. */
  issuedAt?: number;
}

/** Signs a grant with the user's key. */
export function createGrant(user: Keypair, options: CreateGrantOptions): string {
  if (!options.clientId || options.clientId.length > 253) throw bad('a client id is 1..253 characters');
  const caps = Capabilities.from(options.capabilities as Capabilities | string | string[]);
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const claims: GrantClaims = {
    iss: user.publicKey.z32,
    client_id: options.clientId,
    caps: caps.toArray(),
    cnf: options.clientKey.z32,
    jti: randomId(),
    iat,
    exp: iat + (options.lifetimeSeconds ?? DEFAULT_GRANT_LIFETIME_SECONDS),
  };
  return signJws(user, GRANT_TYP, claims);
}

/** A proof of possession of the client key, bound to one homeserver and one grant. */
export function createPop(client: Keypair, homeserver: PublicKey, grantId: string, issuedAt?: number): string {
  const claims: PopClaims = {
    aud: homeserver.z32,
    gid: grantId,
    nonce: randomId(),
    iat: issuedAt ?? Math.floor(Date.now() / 1000),
  };
  return signJws(client, POP_TYP, claims);
}

export interface VerifiedGrant {
  jws: string;
  claims: GrantClaims;
  issuer: PublicKey;
  clientKey: PublicKey;
  capabilities: Capabilities;
}

/**
 * Decodes a grant and checks what an app can check locally: shape, `typ`, the issuer's signature,
 * expiry, and (when given) that it was issued to `expectedClientKey`.
 */
export function verifyGrant(jws: string, options: { expectedClientKey?: PublicKey; nowSeconds?: number } = {}): VerifiedGrant {
  const d = decodeJws<GrantClaims>(jws);
  if (d.header.alg !== 'EdDSA') throw bad('grant alg must be EdDSA');
  if (d.header.typ !== GRANT_TYP) throw bad(`grant typ must be ${GRANT_TYP}`);
  const c = d.claims;
  if (typeof c.iss !== 'string' || typeof c.cnf !== 'string' || typeof c.client_id !== 'string' || typeof c.jti !== 'string') {
    throw bad('grant claims iss, cnf, client_id and jti must be strings');
  }
  if (!Array.isArray(c.caps) || !c.caps.every((x) => typeof x === 'string')) throw bad('grant caps must be an array of strings');
  if (!Number.isSafeInteger(c.iat) || !Number.isSafeInteger(c.exp)) throw bad('grant iat and exp must be integers');
  if (!/^[A-Za-z0-9_-]{1,22}$/.test(c.jti)) throw bad('grant jti must be 1..22 base64url characters');
  let issuer: PublicKey;
  let clientKey: PublicKey;
  try {
    issuer = PublicKey.parseZ32(c.iss);
    clientKey = PublicKey.parseZ32(c.cnf);
  } catch (e) {
    throw bad(`grant keys: ${(e as Error).message}`);
  }
  if (!issuer.verify(d.signingInput, d.signature)) throw bad('the grant signature does not verify with its issuer key');
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (c.exp <= now) throw bad('the grant has expired');
  if (options.expectedClientKey && !clientKey.equals(options.expectedClientKey)) {
    throw bad('the grant was issued to another client key');
  }
  let capabilities: Capabilities;
  try {
    capabilities = Capabilities.from(c.caps);
  } catch (e) {
    throw bad(`grant caps: ${(e as Error).message}`);
  }
  return { jws, claims: c, issuer, clientKey, capabilities };
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
  if (typeof o?.token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(o.token)) {
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
