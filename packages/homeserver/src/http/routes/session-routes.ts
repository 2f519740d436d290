import type { HttpApp } from '../core/http-app.ts';
import type { HttpReply } from '../core/http-reply.ts';
import type { HttpRequest } from '../core/http-request.ts';
import { encodeSessionInfo, type PublicKey, type AuthToken } from '@pubky-ts/common';
import type { HttpDeps } from '../context.ts';
import { verifyAuthToken } from '../../auth/auth-token.ts';
import { resolveCookieSession } from '../../auth/session.ts';
import { checkSignupTokenFormat } from '../../auth/signup-token.ts';
import { readBody } from '../body.ts';
import { removalCookie, sessionCookie } from '../cookies.ts';
import { type HttpError, httpError } from '../errors.ts';
import { parseQueryOr400 } from '../query.ts';
import { queryGet } from '../url.ts';

export const missingTenant = (): HttpError => httpError('MISSING_TENANT');

export function requireTenant(request: HttpRequest): PublicKey {
  const tenant = request.target?.tenant;
  if (!tenant) throw missingTenant();
  return tenant;
}

/** A buffered body (AuthToken, JSON) under the configured size limit and idle timeout. */
export function readSmallBody(request: HttpRequest, deps: HttpDeps): Promise<Buffer> {
  const max = deps.config.drive.maxBufferedBodyBytes;
  return readBody(request.raw, {
    maxBytes: max,
    idleMs: deps.config.drive.bodyIdleTimeoutMs,
    tooLarge: () => httpError('BODY_TOO_LARGE', `Request body is too large (limit ${max} bytes)`),
  });
}

/** The 200 answer of signup/sign-in: SessionInfo (created_at in µs) and the session cookie. */
async function startCookieSession(request: HttpRequest, reply: HttpReply, deps: HttpDeps, token: AuthToken): Promise<void> {
  const user = token.publicKey;
  const session = await deps.store.sessions.create(user.z32, token.capabilities.toString());
  const body = encodeSessionInfo({ publicKey: user, createdAt: deps.nowMicros(), capabilities: token.capabilities.toArray() });
  reply
    .header('set-cookie', sessionCookie(user.z32, session.secret, request.headers))
    .type('application/octet-stream')
    .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

/**
 * Creates the account of a sign-up (cookie or grant), in the signup mode's rules: with
 * `token_required`, a missing token is 409 for an existing user, else 400 `Token required`.
 */
export async function createAccount(deps: HttpDeps, user: string, signupToken: string | undefined): Promise<void> {
  const { store, config } = deps;
  if (config.general.signupMode === 'token_required') {
    if (signupToken === undefined) {
      if (await store.users.get(user)) throw httpError('USER_EXISTS');
      throw httpError('SIGNUP_TOKEN_REQUIRED');
    }
    await store.users.create(user, { signupToken });
  } else {
    await store.users.create(user);
  }
  deps.metrics?.signups.inc();
}

/** POST /signup, POST/GET/DELETE /session, GET /signup_tokens/{token} (spec §1.7, §3.3, §3.5). */
export function registerSessionRoutes(app: HttpApp, deps: HttpDeps): void {
  const { store, config } = deps;

  app.post('/signup', async (request, reply) => {
    const signupToken = queryGet(parseQueryOr400(request.rawQuery), 'signup_token');
    if (signupToken !== undefined) checkSignupTokenFormat(signupToken);
    const token = await verifyAuthToken(await readSmallBody(request, deps), store.authTokenReplay, deps.nowMicros());
    const user = token.publicKey.z32;
    await createAccount(deps, user, signupToken);
    deps.log.info({ user }, 'signup');
    await startCookieSession(request, reply, deps, token);
  });

  app.post('/session', async (request, reply) => {
    const token = await verifyAuthToken(await readSmallBody(request, deps), store.authTokenReplay, deps.nowMicros());
    if (!(await store.users.get(token.publicKey.z32))) throw httpError('USER_NOT_FOUND');
    await startCookieSession(request, reply, deps, token);
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/session',
    handler: async (request, reply) => {
      const tenant = requireTenant(request);
      const session = await resolveCookieSession(store, request.headers, tenant);
      if (!session || session.kind !== 'cookie') {
        if (config.drive.compatSession404) throw httpError('SESSION_NOT_FOUND');
        throw httpError('NO_SESSION');
      }
      // created_at in seconds here, as the reference sends it from GET /session.
      const body = encodeSessionInfo({
        publicKey: tenant,
        createdAt: Math.floor(session.cookie.createdAt / 1e6),
        capabilities: session.capabilities.toArray(),
      });
      reply
        .header('cache-control', 'private, must-revalidate')
        .header('vary', 'cookie, pubky-host')
        .type('application/octet-stream')
        .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    },
  });

  app.delete('/session', async (request, reply) => {
    const tenant = requireTenant(request);
    const session = await resolveCookieSession(store, request.headers, tenant);
    if (session?.kind === 'cookie') await store.sessions.delete(session.cookie.secret);
    reply.header('set-cookie', removalCookie(tenant.z32, request.headers)).code(200).send();
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/signup_tokens/:token',
    handler: async (request, reply) => {
      if (config.general.signupMode !== 'token_required') {
        throw httpError('SIGNUP_TOKENS_NOT_REQUIRED');
      }
      const raw = (request.params as { token: string }).token;
      checkSignupTokenFormat(raw);
      const record = await store.signupTokens.get(raw);
      if (!record) throw httpError('SIGNUP_TOKEN_NOT_FOUND');
      reply
        .header('cache-control', 'no-store')
        .type('application/json')
        .send(JSON.stringify({ status: record.usedBy ? 'used' : 'valid', created_at: rfc3339Micros(record.createdAt) }));
    },
  });
}

/** `2026-01-02T03:04:05.123456+00:00` (chrono's to_rfc3339 of a UTC time with µs). */
export function rfc3339Micros(micros: number): string {
  return `${isoMicros(micros)}+00:00`;
}

/** Naive ISO-8601 with µs and no offset: `2026-01-02T03:04:05.123456`. */
export function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = String(((micros % 1e6) + 1e6) % 1e6).padStart(6, '0');
  return `${base}.${frac}`;
}
