import { timingSafeEqual } from 'node:crypto';
import { HttpApp } from '../http/core/http-app.ts';
import type { HttpRequest } from '../http/core/http-request.ts';
import { parseStrictStoragePath, PublicKey } from '@pubky-ts/common';
import type { HttpDeps } from '../http/context.ts';
import { appendCorsVary, applyCors } from '../http/cors.ts';
import { httpError } from '../http/errors.ts';
import { sendError } from '../http/error-handler.ts';
import type { HttpReply } from '../http/core/http-reply.ts';
import { runEventStream } from '../http/event-streams.ts';
import { parseEventCursor, parseQueryOr400 } from '../http/query.ts';
import { cursorToId, streamFlag, streamLimit, streamPaths, streamUsers } from '../http/routes/event-routes.ts';
import { isoMicros, readSmallBody } from '../http/routes/session-routes.ts';
import { percentDecode, queryAll, queryGet, splitUrl } from '../http/url.ts';
import type { SignupTokenState } from '../storage/types.ts';
import { effectiveQuotaJson, parseUserQuotaJson, userQuotaToJson } from './user-quota-json.ts';
import { registerMirrorAdminRoutes } from '../mirror/mirror-routes.ts';
import { isDavPath, registerWebDav } from './webdav.ts';
import { optionsHeaders as davOptionsHeaders } from '../webdav/dav-handler.ts';

export const PACKAGE_VERSION = '0.1.0';
const USAGE_OVERHEAD_BYTES = 256;

function userParam(request: HttpRequest): string {
  const raw = (request.params as { z32: string }).z32;
  try {
    return PublicKey.parseZ32(raw).z32;
  } catch {
    throw httpError('INVALID_PUBLIC_KEY', raw);
  }
}

async function readJson(request: HttpRequest, deps: HttpDeps): Promise<unknown> {
  const body = await readSmallBody(request, deps);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw httpError('INVALID_JSON_SYNTAX', (e as Error).message);
  }
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}

function passwordMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The admin app's onRequest step: CORS, then HTTP Basic (user `admin`) for WebDAV clients,
 * `X-Admin-Password` for everything else but `GET /`. Returns false when it answered.
 */
function adminGate(request: HttpRequest, reply: HttpReply, password: string): boolean {
  if (applyCors(request, reply)) return false;
  const path = splitUrl(request.url).path;
  if (request.method === 'GET' && path === '/') return true;
  // Windows' WebDAV client probes the server root with OPTIONS before it sends credentials.
  if (request.method === 'OPTIONS' && path === '/') {
    for (const [k, v] of Object.entries(davOptionsHeaders())) reply.header(k, v);
    reply.code(200).send();
    return false;
  }
  if (isDavPath(path)) {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
    const [user, given] = basic ? splitOnce(Buffer.from(basic[1]!, 'base64').toString('utf8'), ':') : ['', ''];
    if (!basic || user !== 'admin' || !passwordMatches(given, password)) {
      sendError(reply, httpError('ADMIN_BASIC_AUTH'));
      return false;
    }
    return true;
  }
  const given = request.headers['x-admin-password'];
  if (typeof given !== 'string') {
    sendError(reply, httpError('ADMIN_PASSWORD_MISSING'));
    return false;
  }
  if (!passwordMatches(given, password)) {
    sendError(reply, httpError('ADMIN_PASSWORD_INVALID'));
    return false;
  }
  return true;
}

/**
 * The operator API (spec §5.1) on its own port, behind `X-Admin-Password`, plus two routes beyond the
 * reference: `GET /users/{z32}/usage`, `GET /users/{z32}/pkarr` and `DELETE /users/{z32}`.
 */
export function buildAdminApp(deps: HttpDeps, publicInfo: () => { pubkyAddress: string; icannDomain: string }): HttpApp {
  const { store, config } = deps;
  const defaultQuotaMb =
    config.storage.defaultQuotaMb ?? (config.general.userStorageQuotaMb > 0 ? config.general.userStorageQuotaMb : null);
  const app = new HttpApp({
    log: deps.log,
    headersTimeoutMs: config.drive.headersTimeoutMs,
    onRequest: (request, reply) => adminGate(request, reply, config.admin.password),
    onSend: (_request, reply) => appendCorsVary(reply),
    onBadUrl: (message, request, reply) => {
      if (applyCors(request, reply)) return;
      sendError(reply, httpError('INVALID_URL', message));
    },
  });

  app.get('/', (_req, reply) => {
    reply.type('text/plain; charset=utf-8').send('Homeserver - Admin Endpoint');
  });

  app.get('/info', async (_req, reply) => {
    const [users, tokens] = await Promise.all([store.users.stats(), store.signupTokens.stats()]);
    const pub = publicInfo();
    reply.type('application/json').send(
      JSON.stringify({
        num_users: users.numUsers,
        num_disabled_users: users.numDisabledUsers,
        total_disk_used_mb: users.totalUsedBytes / 1048576,
        num_signup_codes: tokens.total,
        num_unused_signup_codes: tokens.unused,
        public_key: deps.keypair.publicKey.z32,
        pkarr_pubky_address: pub.pubkyAddress,
        pkarr_icann_domain: pub.icannDomain,
        version: PACKAGE_VERSION,
      }),
    );
  });

  app.get('/generate_signup_token', async (_req, reply) => {
    reply.type('text/plain; charset=utf-8').send(await store.signupTokens.create());
  });
  app.post('/generate_signup_token', async (request, reply) => {
    const quota = parseUserQuotaJson(await readJson(request, deps), false);
    reply.type('text/plain; charset=utf-8').send(await store.signupTokens.create(quota));
  });

  app.get('/signup_tokens', async (request, reply) => {
    const q = parseQueryOr400(splitUrl(request.url).query);
    const limitRaw = queryGet(q, 'limit');
    let limit = 100;
    if (limitRaw !== undefined) {
      if (!/^\d{1,9}$/.test(limitRaw)) throw httpError('INVALID_LIMIT', `Invalid limit: ${limitRaw}`);
      limit = Number(limitRaw);
      if (limit === 0) throw httpError('INVALID_LIMIT', 'limit must be at least 1');
      limit = Math.min(limit, 1000);
    }
    const state = (queryGet(q, 'state') ?? 'all') as SignupTokenState;
    if (!['all', 'used', 'unused'].includes(state)) throw httpError('INVALID_STATE');
    const cursor = queryGet(q, 'cursor') || null;
    const page = await store.signupTokens.list({ limit, cursor, state });
    reply.type('application/json').send(
      JSON.stringify({
        items: page.items.map((t) => ({
          token: t.token,
          created_at: isoMicros(t.createdAt),
          used_at: t.usedAt === null ? null : isoMicros(t.usedAt),
          used_by: t.usedBy,
        })),
        next_cursor: page.nextCursor,
      }),
    );
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/users/:z32/${action}`, async (request, reply) => {
      if (!(await store.users.setDisabled(userParam(request), disabled))) throw httpError('USER_NOT_FOUND');
      reply.type('text/plain; charset=utf-8').send('Ok');
    });
  }

  const quotaResponse = (user: Parameters<typeof userQuotaToJson>[0]) =>
    JSON.stringify({ effective: effectiveQuotaJson(user, defaultQuotaMb, deps.config.defaultQuotas), overrides: userQuotaToJson(user) });

  app.get('/users/:z32/quota', async (request, reply) => {
    const user = await store.users.get(userParam(request));
    if (!user) throw httpError('USER_NOT_FOUND');
    reply.type('application/json').send(quotaResponse(user));
  });
  app.patch('/users/:z32/quota', async (request, reply) => {
    const z32 = userParam(request);
    const patch = parseUserQuotaJson(await readJson(request, deps), true);
    const user = await store.users.setQuota(z32, patch);
    if (!user) throw httpError('USER_NOT_FOUND');
    reply.type('application/json').send(quotaResponse(user));
  });

  app.get('/users/:z32/usage', async (request, reply) => {
    const z32 = userParam(request);
    const user = await store.users.get(z32);
    if (!user) throw httpError('USER_NOT_FOUND');
    // Counted by paging the listing; see NEEDS.md for a store-side count.
    let files = 0;
    for (const root of ['/pub/', '/priv/']) {
      let cursor: string | null = null;
      for (;;) {
        const page: string[] | null = await store.files.list(z32, root, { limit: 1000, cursor });
        if (!page || page.length === 0) break;
        files += page.length;
        cursor = page[page.length - 1]!;
      }
    }
    const quotaMb = user.storageQuotaMb ?? defaultQuotaMb;
    reply.type('application/json').send(
      JSON.stringify({
        used_bytes: user.usedBytes,
        content_bytes: Math.max(0, user.usedBytes - files * USAGE_OVERHEAD_BYTES),
        files,
        quota_bytes: quotaMb === null || quotaMb === -1 ? null : quotaMb * 1048576,
        disabled: user.disabled,
      }),
    );
  });

  // Beyond the reference: PKARR custody. The user's newest signed packet this server holds, and
  // whether the network still served it at the last republish run.
  app.get('/users/:z32/pkarr', async (request, reply) => {
    const z32 = userParam(request);
    if (!(await store.users.get(z32))) throw httpError('USER_NOT_FOUND');
    const rec = await store.packets.get(z32);
    const micros = (v: number | null) => (v === null ? null : new Date(v / 1000).toISOString());
    reply.type('application/json').send(
      JSON.stringify(
        rec
          ? {
              held: true,
              packet_timestamp: micros(rec.timestamp),
              packet_bytes: rec.packet.length,
              last_checked_at: micros(rec.lastCheckedAt),
              visible_on_network: rec.visibleDht,
              last_published_at: micros(rec.lastPublishedAt),
              last_stored_on_nodes: rec.lastStoredAt,
              last_error: rec.lastError,
            }
          : { held: false },
      ),
    );
  });

  app.delete('/users/:z32', async (request, reply) => {
    const z32 = userParam(request);
    if (!(await store.users.delete(z32))) throw httpError('USER_NOT_FOUND');
    deps.log.info({ user: z32 }, 'account deleted by admin');
    reply.code(204).send();
  });

  app.delete('/webdav/:z32/pub/*', async (request, reply) => {
    const z32 = userParam(request);
    const rawPath = splitUrl(request.url).path;
    const rest = rawPath.slice(rawPath.indexOf('/pub/'));
    const decoded = percentDecode(rest);
    let path: string;
    try {
      if (decoded === null) throw new Error('path is not valid UTF-8');
      const sp = parseStrictStoragePath(decoded);
      if (sp.isDirectory) throw new Error('target path must be a file');
      path = sp.path;
    } catch (e) {
      throw httpError('INVALID_URL', (e as Error).message);
    }
    await store.files.delete(z32, path, { admin: true });
    reply.code(204).send();
  });

  app.get('/events-stream', async (request, reply) => {
    const q = parseQueryOr400(splitUrl(request.url).query);
    const users = await streamUsers(deps, queryAll(q, 'user'), false);
    const cursorRaw = queryGet(q, 'cursor');
    let cursor: number | null = null;
    if (cursorRaw !== undefined && cursorRaw !== '') {
      const parsed = parseEventCursor(cursorRaw);
      cursor = parsed ? await cursorToId(store.events, parsed) : null;
      if (cursor === null) throw httpError('INVALID_CURSOR', cursorRaw);
    }
    const reverse = streamFlag(queryGet(q, 'reverse'));
    const live = streamFlag(queryGet(q, 'live'));
    if (reverse && live) throw httpError('LIVE_WITH_REVERSE');
    const paths = streamPaths(queryAll(q, 'path'));
    await runEventStream(
      reply,
      {
        users: users.length > 0 ? users : null,
        cursor,
        paths: paths.length > 0 ? paths : null,
        reverse,
        live,
        limit: streamLimit(queryGet(q, 'limit')),
      },
      { events: store.events, streams: deps.streams, keepAliveMs: config.drive.eventsKeepAliveMs, headers: { 'cache-control': 'no-store' } },
    );
  });

  registerMirrorAdminRoutes(app, deps);
  registerWebDav(app, deps);
  return app;
}
