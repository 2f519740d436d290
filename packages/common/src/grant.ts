// Grants (homeserver spec §3.6): the user key signs a long-lived JWS delegating capabilities to a
// client key (`cnf`); the client proves possession with a short-lived PoP JWS, bound to one homeserver
// (`aud`) and one grant (`gid`), and gets a bearer. The SDK signs and checks grants, the homeserver
// verifies both tokens, a mirror signs PoPs: the claims and their checks live here once.
import { base64urlEncode, randomBytes } from './bytes.ts';
import { Capabilities } from './capabilities.ts';
import { PubkyError } from './errors.ts';
import { decodeJws, signJws } from './jws.ts';
import { PublicKey, type Keypair } from './keys.ts';

export const GRANT_TYP = 'pubky-grant';
export const POP_TYP = 'pubky-pop';
/** The reference SDK's default grant lifetime: two years. */
export const DEFAULT_GRANT_LIFETIME_SECONDS = 2 * 365 * 24 * 3600;
/** Signup grants must live at most 5 minutes and use this client id (spec §3.6.5). */
export const SIGNUP_CLIENT_ID = 'pubky.signup';
/** Grant ids and PoP nonces: 1..22 characters of base64url. */
export const GRANT_ID = /^[A-Za-z0-9_-]{1,22}$/;
/** A bearer token the grant exchange hands out: base64url of 32 bytes. */
export const BEARER_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** How far a PoP's `iat` may be from the verifier's clock, in seconds. */
export const POP_WINDOW_S = 180;
/** How long a verifier must remember a PoP nonce: twice the window, so a replay always meets it. */
export const NONCE_MAX_AGE_S = 2 * POP_WINDOW_S;

/** The grant's JSON claims, as signed. */
export interface GrantClaims {
  iss: string;
  client_id: string;
  caps: string[];
  cnf: string;
  jti: string;
  iat: number;
  exp: number;
}

/** The PoP's JSON claims, as signed. */
export interface PopClaims {
  aud: string;
  gid: string;
  nonce: string;
  iat: number;
}

/** A grant whose shape and signature were checked. */
export interface VerifiedGrant {
  jws: string;
  claims: GrantClaims;
  issuer: PublicKey;
  clientKey: PublicKey;
  capabilities: Capabilities;
}

/** Which check a grant or PoP failed, in the order the homeserver spec lists them. */
export type GrantFailure =
  | 'grant_format'
  | 'grant_signature'
  | 'grant_type'
  | 'grant_expired'
  | 'pop_format'
  | 'pop_signature'
  | 'pop_type'
  | 'pop_audience'
  | 'pop_grant'
  | 'pop_timestamp';

/** A grant (code `invalid_grant`) or PoP (code `invalid_pop`) that does not verify; `failure` says which check. */
export class GrantError extends PubkyError {
  declare readonly code: 'invalid_grant' | 'invalid_pop';
  constructor(
    readonly failure: GrantFailure,
    message: string,
  ) {
    super(failure.startsWith('pop_') ? 'invalid_pop' : 'invalid_grant', message);
    this.name = 'GrantError';
  }
}

/** A fresh grant id or PoP nonce: base64url of 16 random bytes (22 characters). */
export function randomId(): string {
  return base64urlEncode(randomBytes(16));
}

export interface CreateGrantOptions {
  clientId: string;
  clientKey: PublicKey;
  capabilities: Capabilities | string | string[];
  lifetimeSeconds?: number;
  /** Unix seconds; defaults to now. */
  issuedAt?: number;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Signs a grant with the user's key. */
export function createGrant(user: Keypair, options: CreateGrantOptions): string {
  if (!options.clientId || options.clientId.length > 253) throw new GrantError('grant_format', 'a client id is 1..253 characters');
  const caps = Capabilities.from(options.capabilities as Capabilities | string | string[]);
  const iat = options.issuedAt ?? nowSeconds();
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
  const claims: PopClaims = { aud: homeserver.z32, gid: grantId, nonce: randomId(), iat: issuedAt ?? nowSeconds() };
  return signJws(client, POP_TYP, claims);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function decoded(token: string, failure: 'grant_format' | 'pop_format') {
  try {
    return decodeJws(token);
  } catch (e) {
    throw new GrantError(failure, `malformed JWS: ${(e as Error).message}`);
  }
}

function grantShape(p: Record<string, unknown>): {
  claims: GrantClaims;
  issuer: PublicKey;
  clientKey: PublicKey;
  capabilities: Capabilities;
} {
  const format = (what: string) => new GrantError('grant_format', `grant ${what}`);
  const { iss, client_id: clientId, caps, cnf, jti, iat, exp } = p;
  if (typeof iss !== 'string' || typeof cnf !== 'string') throw format('claims iss and cnf must be strings');
  if (typeof clientId !== 'string' || clientId.length < 1 || clientId.length > 253) throw format('client_id must be 1..253 characters');
  if (!Array.isArray(caps) || caps.some((c) => typeof c !== 'string')) throw format('caps must be an array of strings');
  if (typeof jti !== 'string' || !GRANT_ID.test(jti)) throw format('jti must be 1..22 base64url characters');
  if (!isInt(iat) || !isInt(exp)) throw format('iat and exp must be integers');
  try {
    return {
      claims: p as unknown as GrantClaims,
      issuer: PublicKey.parseZ32(iss),
      clientKey: PublicKey.parseZ32(cnf),
      capabilities: Capabilities.from(caps as string[]),
    };
  } catch (e) {
    throw format(`keys or caps: ${(e as Error).message}`);
  }
}

/**
 * Verifies a grant: its shape, the issuer's EdDSA signature, `typ`, then expiry against `nowS`
 * (unix seconds). A GrantError names the first check that failed.
 */
export function verifyGrant(token: string, nowS: number = nowSeconds()): VerifiedGrant {
  const jws = decoded(token, 'grant_format');
  const shape = grantShape(jws.payload);
  if (jws.header.alg !== 'EdDSA' || !shape.issuer.verify(jws.signingInput, jws.signature)) {
    throw new GrantError('grant_signature', 'the grant signature does not verify with its issuer key');
  }
  if (jws.header.typ !== GRANT_TYP) throw new GrantError('grant_type', `grant typ must be ${GRANT_TYP}`);
  if (!(shape.claims.exp > nowS)) throw new GrantError('grant_expired', 'the grant has expired');
  return { jws: token, ...shape };
}

/**
 * Verifies a PoP against a verified grant (its client key and id) and the homeserver `audience` (its
 * z32 key): shape, the client key's signature, `typ`, audience, grant id, then `iat` within
 * POP_WINDOW_S of `nowS`.
 */
export function verifyPop(
  token: string,
  grant: { clientKey: PublicKey; grantId: string },
  audience: string,
  nowS: number = nowSeconds(),
): PopClaims {
  const jws = decoded(token, 'pop_format');
  const { aud, gid, nonce, iat } = jws.payload;
  if (typeof aud !== 'string' || !isInt(iat)) throw new GrantError('pop_format', 'PoP aud must be a string and iat an integer');
  // A malformed id or nonce cannot have been signed by an honest client: reported as a bad signature.
  if (typeof gid !== 'string' || typeof nonce !== 'string' || !GRANT_ID.test(gid) || !GRANT_ID.test(nonce)) {
    throw new GrantError('pop_signature', 'PoP gid and nonce must be 1..22 base64url characters');
  }
  if (jws.header.alg !== 'EdDSA' || !grant.clientKey.verify(jws.signingInput, jws.signature)) {
    throw new GrantError('pop_signature', 'the PoP signature does not verify with the grant client key');
  }
  if (jws.header.typ !== POP_TYP) throw new GrantError('pop_type', `PoP typ must be ${POP_TYP}`);
  if (aud !== audience) throw new GrantError('pop_audience', 'the PoP is for another homeserver');
  if (gid !== grant.grantId) throw new GrantError('pop_grant', 'the PoP is for another grant');
  if (Math.abs(nowS - iat) > POP_WINDOW_S) throw new GrantError('pop_timestamp', 'the PoP timestamp is out of range');
  return { aud, gid, nonce, iat };
}

/** The `jti` of a grant, read without verifying it (the holder already did). */
export function grantIdOf(token: string): string {
  const id = decoded(token, 'grant_format').payload.jti;
  if (typeof id !== 'string' || !GRANT_ID.test(id)) throw new GrantError('grant_format', 'grant jti must be 1..22 base64url characters');
  return id;
}
