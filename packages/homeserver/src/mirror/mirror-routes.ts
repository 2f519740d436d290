import type { HttpApp } from '../http/core/http-app.ts';
import type { HttpReply } from '../http/core/http-reply.ts';
import type { HttpRequest } from '../http/core/http-request.ts';
import { MIRROR_CLIENT_ID, PublicKey } from '@pubky-ts/common';
import type { HttpDeps } from '../http/context.ts';
import { HttpError, httpError } from '../http/errors.ts';
import { readSmallBody, requireTenant } from '../http/routes/session-routes.ts';
import { noSession } from '../auth/authorize.ts';
import { resolveSession } from '../auth/session.ts';
import { verifyGrant } from '../auth/jws.ts';
import type { MirrorStatus } from './follower.ts';
import { PrimaryConnection, PrimaryError } from './primary.ts';
import type { MirrorService } from './service.ts';

export interface MirrorRequest {
  primary: PublicKey;
  grant: string | null;
}

const badField = (field: string, detail: string): HttpError => httpError('INVALID_MIRROR_FIELD', field, detail);

/** Parses `{"primary":"<z32>","grant":"<JWS>"?}`; unknown fields are ignored. */
export function parseMirrorBody(body: Buffer): MirrorRequest {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw httpError('INVALID_JSON_SYNTAX', (e as Error).message);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw httpError('INVALID_MIRROR_BODY');
  }
  const { primary, grant } = value as Record<string, unknown>;
  if (primary === undefined) throw badField('primary', 'missing');
  if (typeof primary !== 'string') throw badField('primary', 'expected a string');
  let key: PublicKey;
  try {
    key = PublicKey.parseZ32(primary);
  } catch (e) {
    throw badField('primary', `not a public key (${(e as Error).message})`);
  }
  if (grant !== undefined && grant !== null && typeof grant !== 'string') throw badField('grant', 'expected a string');
  return { primary: key, grant: typeof grant === 'string' ? grant : null };
}

/**
 * Checks a mirror grant locally: a valid grant (format, signature, type, expiry) issued by `user` to
 * this homeserver's key, client id `pubky-mirror`, able to read `/pub/` and `/priv/`. All failures 400.
 */
export function checkMirrorGrant(grant: string, user: PublicKey, homeserver: PublicKey, nowSeconds: number) {
  let claims;
  try {
    claims = verifyGrant(grant, nowSeconds);
  } catch (e) {
    if (e instanceof HttpError) throw httpError('INVALID_MIRROR_GRANT', e.message);
    throw e;
  }
  const bad = (detail: string) => httpError('INVALID_MIRROR_GRANT', `Invalid grant: ${detail}`);
  if (!claims.iss.equals(user)) throw bad(`not signed by this user (issued by ${claims.iss.z32})`);
  if (!claims.cnf.equals(homeserver)) throw bad(`not issued to this homeserver's key ${homeserver.z32}`);
  if (claims.clientId !== MIRROR_CLIENT_ID) throw bad(`client_id must be ${MIRROR_CLIENT_ID}`);
  if (!claims.caps.allows('/pub/', 'r') || !claims.caps.allows('/priv/', 'r')) {
    throw bad('capabilities must allow reading /pub/ and /priv/ (e.g. /:r)');
  }
  return claims;
}

/** 401 without a session, 403 unless it is the tenant's own root session (`/:rw`). */
async function requireMirrorManager(request: HttpRequest, deps: HttpDeps): Promise<PublicKey> {
  const tenant = requireTenant(request);
  const session = await resolveSession(deps.store, request.headers, tenant, { nowSeconds: deps.nowSeconds() });
  if (!session) throw noSession();
  if (session.user !== tenant.z32) throw httpError('SESSION_TENANT_MISMATCH');
  if (!session.capabilities.hasRoot) throw httpError('MIRROR_ROOT_REQUIRED');
  return tenant;
}

function requireService(deps: HttpDeps): MirrorService {
  const service = deps.mirrors;
  return service;
}

function sendStatus(reply: HttpReply, status: MirrorStatus): void {
  reply.header('cache-control', 'no-store').type('application/json').send(JSON.stringify(status));
}

const notMirrored = (): HttpError => httpError('NOT_MIRRORED');

/** `PUT/GET/DELETE /mirror` on the client API (mirror contract). */
export function registerMirrorRoutes(app: HttpApp, deps: HttpDeps): void {
  const self = deps.keypair.publicKey;

  app.put('/mirror', async (request, reply) => {
    const user = await requireMirrorManager(request, deps);
    const service = requireService(deps);
    const body = parseMirrorBody(await readSmallBody(request, deps));
    if (body.primary.equals(self)) throw httpError('MIRROR_OF_SELF');
    const claims = body.grant === null ? null : checkMirrorGrant(body.grant, user, self, deps.nowSeconds());
    // Reach the primary now, so a wrong key, an unreachable server or a refused grant is said at once.
    let bearer: { token: string; expiresAt: number } | null = null;
    try {
      const conn = await PrimaryConnection.open(service.primaryResolver(), body.primary, user.z32, { fresh: true });
      if (body.grant !== null) bearer = await conn.exchangeGrant(body.grant);
      await conn.latestEvent(body.grant !== null, bearer?.token ?? null);
    } catch (e) {
      if (!(e instanceof PrimaryError)) throw e;
      throw httpError(e.code, body.primary.z32, e.message);
    }
    const existing = await service.get(user.z32);
    const rec = await service.put({
      user: user.z32,
      primary: body.primary.z32,
      grant: body.grant,
      grantExpiresAt: claims?.exp ?? null,
      bearer: bearer?.token ?? null,
      bearerExpiresAt: bearer?.expiresAt ?? null,
      keepCursor: existing !== null && existing.primary === body.primary.z32 && (existing.grant !== null) === (body.grant !== null),
    });
    if (!rec) throw httpError('USER_NOT_FOUND');
    deps.log.info({ user: user.z32, primary: body.primary.z32, private: body.grant !== null }, 'mirror set up');
    sendStatus(reply, service.statusOf(rec));
  });

  app.get('/mirror', async (request, reply) => {
    const user = await requireMirrorManager(request, deps);
    const service = requireService(deps);
    const rec = await service.get(user.z32);
    if (!rec) throw notMirrored();
    sendStatus(reply, service.statusOf(rec));
  });

  app.delete('/mirror', async (request, reply) => {
    const user = await requireMirrorManager(request, deps);
    const service = requireService(deps);
    if (!(await service.delete(user.z32))) throw notMirrored();
    deps.log.info({ user: user.z32 }, 'mirror removed');
    reply.code(204).send();
  });
}

/** `GET /mirrors` on the admin API: every mirrored user's status, with its lag. */
export function registerMirrorAdminRoutes(app: HttpApp, deps: HttpDeps): void {
  app.get('/mirrors', async (_request, reply) => {
    const items = await deps.mirrors.statuses();
    reply.header('cache-control', 'no-store').type('application/json').send(JSON.stringify({ items }));
  });
}
