import type { HttpApp } from '../core/http-app.ts';
import type { HttpReply } from '../core/http-reply.ts';
import type { HttpRequest } from '../core/http-request.ts';
import type { HttpDeps } from '../context.ts';
import { GRANT_ID, NONCE_MAX_AGE_S, POP_WINDOW_S, verifyGrant, verifyPop } from '../../auth/jws.ts';
import { checkSignupTokenFormat } from '../../auth/signup-token.ts';
import { noSession } from '../../auth/authorize.ts';
import { resolveBearerSession, resolveSession, type AuthSession } from '../../auth/session.ts';
import type { GrantRecord } from '../../storage/types.ts';
import { type HttpError, httpError } from '../errors.ts';
import { parseQueryOr400 } from '../query.ts';
import { queryGet } from '../url.ts';
import { createAccount, readSmallBody } from './session-routes.ts';

/** Bearer lifetime (spec §3.6.3 step 7). */
export const BEARER_TTL_S = 3600;
const SIGNUP_CLIENT_ID = 'pubky.signup';
const SIGNUP_MAX_LIFETIME_S = 300;

const unprocessable = (detail: string): HttpError => httpError('INVALID_JSON_BODY', detail);

/** Reads `{"grant":"<JWS>","pop":"<JWS>"}` with axum's Json rejections: 415, 400, 422. */
export async function readGrantBody(request: HttpRequest, deps: HttpDeps): Promise<{ grant: string; pop: string }> {
  const ct = request.headers['content-type'];
  if (!ct || !/^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i.test(ct)) {
    throw httpError('UNSUPPORTED_MEDIA_TYPE');
  }
  const body = await readSmallBody(request, deps);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw httpError('INVALID_JSON_SYNTAX', (e as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unprocessable('expected an object');
  const { grant, pop } = value as Record<string, unknown>;
  if (typeof grant !== 'string') throw unprocessable('missing field `grant`');
  if (typeof pop !== 'string') throw unprocessable('missing field `pop`');
  if (grant.split('.').length !== 3) throw unprocessable('grant: expected a compact JWS with 3 parts');
  if (pop.split('.').length !== 3) throw unprocessable('pop: expected a compact JWS with 3 parts');
  return { grant, pop };
}

function grantSessionJson(deps: HttpDeps, grant: GrantRecord, tokenExpiresAt: number, createdAt: number) {
  return {
    homeserver: deps.keypair.publicKey.z32,
    pubky: grant.user,
    client_id: grant.clientId,
    capabilities: grant.capabilities === '' ? [] : grant.capabilities.split(','),
    grant_id: grant.id,
    token_expires_at: tokenExpiresAt,
    grant_expires_at: grant.expiresAt,
    created_at: createdAt,
  };
}

async function requireRootSession(request: HttpRequest, deps: HttpDeps): Promise<AuthSession> {
  const session = await resolveSession(deps.store, request.headers, request.target?.tenant ?? null, { nowSeconds: deps.nowSeconds() });
  if (!session) throw noSession();
  if (!session.capabilities.hasRoot) throw httpError('ROOT_CAPABILITY_REQUIRED');
  return session;
}

async function useNonce(deps: HttpDeps, nonce: string, now: number): Promise<void> {
  if (!(await deps.store.grants.useNonce(nonce, now, NONCE_MAX_AGE_S))) throw httpError('POP_NONCE_REUSED');
}

/** POST /auth/grant/signup: an account from a `pubky.signup` root grant and its PoP. */
async function grantSignup(deps: HttpDeps, request: HttpRequest, reply: HttpReply): Promise<void> {
  const signupToken = queryGet(parseQueryOr400(request.rawQuery), 'signup_token');
  if (signupToken !== undefined) checkSignupTokenFormat(signupToken);
  const body = await readGrantBody(request, deps);
  const now = deps.nowSeconds();
  const grant = verifyGrant(body.grant, now);
  if (grant.clientId !== SIGNUP_CLIENT_ID) throw httpError('SIGNUP_GRANT_CLIENT_ID', SIGNUP_CLIENT_ID);
  if (!grant.caps.hasRoot) throw httpError('ROOT_CAPABILITY_REQUIRED');
  if (grant.iat > now + POP_WINDOW_S) throw httpError('SIGNUP_GRANT_IAT');
  if (grant.exp - grant.iat > SIGNUP_MAX_LIFETIME_S) throw httpError('SIGNUP_GRANT_LIFETIME');
  const pop = verifyPop(body.pop, grant, deps.keypair.publicKey.z32, now);
  await useNonce(deps, pop.nonce, now);
  const user = grant.iss.z32;
  await createAccount(deps, user, signupToken);
  deps.log.info({ user }, 'grant signup');
  reply.code(204).send();
}

/** POST /auth/grant/session: a grant and its PoP exchanged for a bearer. */
async function grantSession(deps: HttpDeps, request: HttpRequest, reply: HttpReply): Promise<void> {
  const { store } = deps;
  const body = await readGrantBody(request, deps);
  const now = deps.nowSeconds();
  const grant = verifyGrant(body.grant, now);
  const stored = await store.grants.get(grant.jti);
  if (stored?.revokedAt != null) throw httpError('GRANT_REVOKED');
  const pop = verifyPop(body.pop, grant, deps.keypair.publicKey.z32, now);
  await useNonce(deps, pop.nonce, now);
  if (!(await store.users.get(grant.iss.z32))) throw httpError('USER_NOT_FOUND');
  const record = await store.grants.upsert({
    id: grant.jti,
    user: grant.iss.z32,
    clientId: grant.clientId,
    clientCnfKey: grant.cnf.z32,
    capabilities: grant.caps.toString(),
    issuedAt: grant.iat,
    expiresAt: grant.exp,
  });
  // The first stored copy wins; a different user reusing a jti must not ride on it.
  if (record.user !== grant.iss.z32 || record.clientCnfKey !== grant.cnf.z32) throw httpError('GRANT_ID_CONFLICT');
  if (record.revokedAt != null) throw httpError('GRANT_REVOKED');
  const expiresAt = Math.min(now + BEARER_TTL_S, record.expiresAt);
  const { token } = await store.grants.mintSession(record.id, expiresAt);
  reply.type('application/json').send(JSON.stringify({ token, session: grantSessionJson(deps, record, expiresAt, now) }));
}

/** GET|HEAD /auth/grant/session: the bearer's session. */
async function grantSessionInfo(deps: HttpDeps, request: HttpRequest, reply: HttpReply): Promise<void> {
  const session = await resolveBearerSession(deps.store, request.headers, deps.nowSeconds());
  if (!session || session.kind !== 'grant') throw httpError('NO_SESSION', 'Unauthorized');
  const g = session.grant;
  reply.type('application/json').send(JSON.stringify(grantSessionJson(deps, g, session.bearer.expiresAt, Math.floor(g.createdAt / 1e6))));
}

/** DELETE /auth/grant/session: sign-out (revokes the bearer's grant; 200 either way). */
async function grantSignOut(deps: HttpDeps, request: HttpRequest, reply: HttpReply): Promise<void> {
  const session = await resolveBearerSession(deps.store, request.headers, deps.nowSeconds());
  if (session?.kind === 'grant') await deps.store.grants.revoke(session.grant.id, deps.nowSeconds());
  reply.code(200).send();
}

/** GET|HEAD /auth/grant/sessions: the root session's active grants. */
async function listGrants(deps: HttpDeps, request: HttpRequest, reply: HttpReply): Promise<void> {
  const session = await requireRootSession(request, deps);
  const grants = await deps.store.grants.listActive(session.user, deps.nowSeconds());
  reply.type('application/json').send(
    JSON.stringify(
      grants.map((g) => ({
        grant_id: g.id,
        client_id: g.clientId,
        capabilities: g.capabilities,
        issued_at: g.issuedAt,
        expires_at: g.expiresAt,
      })),
    ),
  );
}

/** DELETE /auth/grant/session/{gid}: the root session revokes one of its grants. */
async function revokeGrant(deps: HttpDeps, request: HttpRequest, reply: HttpReply): Promise<void> {
  const session = await requireRootSession(request, deps);
  const gid = (request.params as { gid: string }).gid;
  if (!GRANT_ID.test(gid)) throw httpError('INVALID_GRANT_ID');
  const grant = await deps.store.grants.get(gid);
  if (!grant) throw httpError('GRANT_NOT_FOUND');
  if (grant.user !== session.user) throw httpError('GRANT_NOT_OWNED');
  await deps.store.grants.revoke(gid, deps.nowSeconds());
  reply.code(200).send();
}

/** Grant-based auth (spec §3.6): signup, bearer exchange, info, sign-out, listing and revocation. */
export function registerGrantRoutes(app: HttpApp, deps: HttpDeps): void {
  app.post('/auth/grant/signup', (request, reply) => grantSignup(deps, request, reply));
  app.post('/auth/grant/session', (request, reply) => grantSession(deps, request, reply));
  app.route({ method: ['GET', 'HEAD'], url: '/auth/grant/session', handler: (request, reply) => grantSessionInfo(deps, request, reply) });
  app.delete('/auth/grant/session', (request, reply) => grantSignOut(deps, request, reply));
  app.route({ method: ['GET', 'HEAD'], url: '/auth/grant/sessions', handler: (request, reply) => listGrants(deps, request, reply) });
  app.delete('/auth/grant/session/:gid', (request, reply) => revokeGrant(deps, request, reply));
}
