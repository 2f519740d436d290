import { Capabilities, type PublicKey } from '@pubky-ts/common';
import type { AuthStamp, CookieSessionRecord, GrantRecord, GrantSessionRecord, HomeserverStore, UserRecord } from '../storage/types.ts';
import { readCookie } from '../http/cookies.ts';

/** An authenticated session, whichever mechanism produced it (spec §3.4). */
export type AuthSession =
  | {
      kind: 'cookie';
      user: string;
      capabilities: Capabilities;
      cookie: CookieSessionRecord;
      /** The user's record, read with the session at one moment (when the store offers that). */
      account?: UserRecord;
      /**
       * Set when session and account came from memory unconfirmed (`optimistic`): a write passes it
       * in WriteOptions.authority and its commit confirms them, or fails so it can be redone checked.
       */
      stamp?: AuthStamp;
    }
  | { kind: 'grant'; user: string; capabilities: Capabilities; grant: GrantRecord; bearer: GrantSessionRecord };

type Headers = Record<string, string | string[] | undefined>;

const BEARER_PREFIX = 'Bearer ';
const BEARER_LENGTH = 43;
const COOKIE_SECRET_LENGTH = 26;

// Capability strings repeat across requests of the same session; parse each once.
const capsCache = new Map<string, Capabilities | null>();
const CAPS_CACHE_MAX = 2048;

/** Strictly parsed capabilities of a stored session; null when the stored string no longer parses. */
export function parseStoredCapabilities(s: string): Capabilities | null {
  let caps = capsCache.get(s);
  if (caps === undefined) {
    try {
      caps = Capabilities.parse(s);
    } catch {
      caps = null;
    }
    if (capsCache.size >= CAPS_CACHE_MAX) capsCache.delete(capsCache.keys().next().value as string);
    capsCache.set(s, caps);
  }
  return caps;
}

/** The Authorization header when it is exactly `Bearer <43 chars>`; undefined otherwise. */
export function bearerToken(headers: Headers): string | undefined {
  const h = headers.authorization;
  if (typeof h !== 'string' || !h.startsWith(BEARER_PREFIX)) return undefined;
  const token = h.slice(BEARER_PREFIX.length);
  return token.length === BEARER_LENGTH ? token : undefined;
}

/** Whether the request carries any `Authorization: Bearer …` (valid or not). */
export function hasBearerHeader(headers: Headers): boolean {
  const h = headers.authorization;
  return typeof h === 'string' && h.startsWith(BEARER_PREFIX);
}

export async function resolveBearerSession(
  store: HomeserverStore,
  headers: Headers,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<AuthSession | null> {
  const token = bearerToken(headers);
  if (!token) return null;
  const found = await store.grants.resolveBearer(token, nowSeconds);
  if (!found) return null;
  const capabilities = parseStoredCapabilities(found.grant.capabilities);
  if (!capabilities) return null;
  return { kind: 'grant', user: found.grant.user, capabilities, grant: found.grant, bearer: found.session };
}

function peekCookie(store: HomeserverStore, secret: string, tenant: PublicKey): AuthSession | undefined {
  const peeked = store.sessions.peekBySecretWithUser?.(secret);
  if (!peeked || peeked.session.user !== tenant.z32) return undefined;
  const capabilities = parseStoredCapabilities(peeked.session.capabilities);
  return capabilities
    ? { kind: 'cookie', user: peeked.session.user, capabilities, cookie: peeked.session, account: peeked.user, stamp: peeked.stamp }
    : undefined;
}

/**
 * The tenant's cookie session from memory alone, unconfirmed (see `optimistic` below), without a
 * promise: null when the request has no such cookie, undefined when memory cannot tell (the
 * caller then resolves it properly). For uses that authorise nothing, such as bandwidth pacing.
 */
export function peekCookieSession(store: HomeserverStore, headers: Headers, tenant: PublicKey | null): AuthSession | null | undefined {
  if (!tenant) return null;
  const secret = readCookie(headers, tenant.z32);
  if (!secret || secret.length !== COOKIE_SECRET_LENGTH) return null;
  return peekCookie(store, secret, tenant);
}

/**
 * The cookie session named after `tenant`, if it exists and belongs to that tenant. `optimistic`:
 * take session and user from memory when the store holds both, unconfirmed (the session then
 * carries a `stamp`; only a write that has its commit confirm it may rely on it).
 */
export async function resolveCookieSession(
  store: HomeserverStore,
  headers: Headers,
  tenant: PublicKey | null,
  optimistic = false,
): Promise<AuthSession | null> {
  if (!tenant) return null;
  const secret = readCookie(headers, tenant.z32);
  if (!secret || secret.length !== COOKIE_SECRET_LENGTH) return null;
  if (optimistic) {
    const peeked = peekCookie(store, secret, tenant);
    if (peeked) return peeked;
  }
  let cookie: CookieSessionRecord | null;
  let account: UserRecord | undefined;
  if (store.sessions.getBySecretWithUser) {
    const found = await store.sessions.getBySecretWithUser(secret);
    cookie = found?.session ?? null;
    account = found?.user;
  } else {
    cookie = await store.sessions.getBySecret(secret);
  }
  if (!cookie || cookie.user !== tenant.z32) return null;
  const capabilities = parseStoredCapabilities(cookie.capabilities);
  if (!capabilities) return null;
  return account
    ? { kind: 'cookie', user: cookie.user, capabilities, cookie, account }
    : { kind: 'cookie', user: cookie.user, capabilities, cookie };
}

/**
 * The middleware rule of §3.4: a resolvable bearer wins; otherwise (no header, malformed, unknown,
 * expired) fall through to the tenant's cookie. `bearerDisablesCookies` is the `/events-stream`
 * rule of delta §7: any `Bearer ` header, valid or not, turns cookie authentication off.
 */
export async function resolveSession(
  store: HomeserverStore,
  headers: Headers,
  tenant: PublicKey | null,
  options: { bearerDisablesCookies?: boolean; nowSeconds?: number; optimistic?: boolean } = {},
): Promise<AuthSession | null> {
  // Most requests carry no Authorization at all: go straight to the cookie (one await less).
  if (headers.authorization !== undefined) {
    const bearer = await resolveBearerSession(store, headers, options.nowSeconds);
    if (bearer) return bearer;
    if (options.bearerDisablesCookies && hasBearerHeader(headers)) return null;
  }
  return resolveCookieSession(store, headers, tenant, options.optimistic);
}
