import type { HttpApp } from '../core/http-app.ts';
import type { HttpRequest } from '../core/http-request.ts';
import { formatFeedCursor, formatFeedLine, normalizeStoragePath, PublicKey } from '@pubky-ts/common';
import type { HttpDeps } from '../context.ts';
import { authorizePrivateRead, readAccess } from '../../auth/authorize.ts';
import { resolveSession, type AuthSession } from '../../auth/session.ts';
import type { EventStore } from '../../storage/types.ts';
import { httpError } from '../errors.ts';
import { runEventStream } from '../event-stream-run.ts';
import type { StreamUser } from '../event-streams.ts';
import { feedQuery, parseEventCursor, parseQueryOr400, type EventCursor } from '../query.ts';
import { queryAll, queryGet, type QueryPair } from '../url.ts';

export const MAX_STREAM_USERS = 50;

/** A cursor as an event id; legacy timestamp cursors must match an event exactly. */
export async function cursorToId(events: EventStore, c: EventCursor): Promise<number | null> {
  return c.kind === 'id' ? c.id : events.idAtCreatedAt(c.micros);
}

/** `limit` of the streams: u16 ≥ 1, absent = unbounded. */
export function streamLimit(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw httpError('INVALID_LIMIT', `Invalid limit: ${raw}`);
  const n = Number(raw);
  if (n < 1) throw httpError('INVALID_LIMIT', 'limit must be at least 1');
  return n;
}

/** `path` filters: `/` prepended, normalised (delta §3, §7); empty values ignored. */
export function streamPaths(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v === '') continue;
    const p = v.startsWith('/') ? v : `/${v}`;
    try {
      out.push(normalizeStoragePath(p).path);
    } catch {
      throw httpError('INVALID_PATH', p);
    }
  }
  return [...new Set(out)];
}

/** `reverse`/`live` on the streams: true only for `true` or `1`. */
export function streamFlag(raw: string | undefined): boolean {
  return raw === 'true' || raw === '1';
}

/** Parses `user=<z32>[:<cursor>]` values (1..50) into users with resolved cursors; unknown users 404. */
export async function streamUsers(deps: HttpDeps, values: string[], required: boolean): Promise<StreamUser[]> {
  const nonEmpty = values.filter((v) => v !== '');
  if (nonEmpty.length === 0 && required) throw httpError('USER_REQUIRED');
  if (nonEmpty.length > MAX_STREAM_USERS) {
    throw httpError('TOO_MANY_USERS', MAX_STREAM_USERS);
  }
  const byUser = new Map<string, number | null>();
  for (const v of nonEmpty) {
    const colon = v.indexOf(':');
    const keyText = colon < 0 ? v : v.slice(0, colon);
    let key: PublicKey;
    try {
      key = PublicKey.parseZ32(keyText);
    } catch (e) {
      throw httpError('INVALID_PUBLIC_KEY', (e as Error).message);
    }
    let cursor: number | null = null;
    if (colon >= 0) {
      const raw = v.slice(colon + 1);
      const parsed = parseEventCursor(raw);
      const id = parsed ? await cursorToId(deps.store.events, parsed) : null;
      if (id === null) throw httpError('INVALID_CURSOR', raw);
      cursor = id;
    }
    byUser.set(key.z32, cursor);
  }
  const users: StreamUser[] = [];
  for (const [user, cursor] of byUser) {
    if (!(await deps.store.users.get(user))) throw httpError('USER_NOT_FOUND');
    users.push({ user, cursor });
  }
  return users;
}

/** Closes a private stream when its session is revoked (sign-out, grant revocation, account deletion). */
function revocationWatcher(deps: HttpDeps, session: AuthSession): (end: () => void) => () => void {
  return (end) =>
    deps.store.revocations.subscribe((r) => {
      if (r.kind === 'cookie_session' && session.kind === 'cookie' && r.id === session.cookie.id) end();
      if (r.kind === 'grant' && session.kind === 'grant' && r.id === session.grant.id) end();
    });
}

async function streamRequest(request: HttpRequest, deps: HttpDeps, pairs: QueryPair[]) {
  const users = await streamUsers(deps, queryAll(pairs, 'user'), true);
  const limit = streamLimit(queryGet(pairs, 'limit'));
  const reverse = streamFlag(queryGet(pairs, 'reverse'));
  const live = streamFlag(queryGet(pairs, 'live'));
  if (reverse && live) throw httpError('LIVE_WITH_REVERSE');
  const given = streamPaths(queryAll(pairs, 'path'));
  const paths = given.length > 0 ? given : ['/pub/'];
  const privatePaths = paths.filter((p) => readAccess(p) === 'private');
  let session: AuthSession | null = null;
  if (privatePaths.length > 0) {
    if (users.length !== 1) {
      throw httpError('PRIVATE_STREAM_MULTI_USER');
    }
    const owner = PublicKey.parseZ32(users[0]!.user);
    // Delta §7: any `Bearer ` header switches cookie authentication off; the cookie is the owner's.
    session = await resolveSession(deps.store, request.headers, owner, { bearerDisablesCookies: true, nowSeconds: deps.nowSeconds() });
    for (const p of privatePaths) authorizePrivateRead(session, owner, p);
  }
  return { spec: { users, cursor: null, paths, reverse, live, limit }, session };
}

/** GET /events/ (text feed) and GET /events-stream (SSE), spec §4.2–4.3. */
export function registerEventRoutes(app: HttpApp, deps: HttpDeps): void {
  const { events } = deps.store;

  app.route({
    method: ['GET', 'HEAD'],
    url: '/events/',
    handler: async (request, reply) => {
      const { cursor, limit } = feedQuery(parseQueryOr400(request.rawQuery));
      const from = await cursorToId(events, cursor);
      if (from === null) throw httpError('INVALID_CURSOR');
      const queried = performance.now();
      const page = await events.feed(from, limit);
      deps.metrics?.eventsQueryMs.observe(performance.now() - queried);
      const lines = page.map((e) => formatFeedLine(e.type, e.user, e.path));
      if (page.length > 0) lines.push(formatFeedCursor(page[page.length - 1]!.id));
      reply.type('text/plain').send(lines.join('\n'));
    },
  });

  app.get('/events-stream', async (request, reply) => {
    const { spec, session } = await streamRequest(request, deps, parseQueryOr400(request.rawQuery));
    await runEventStream(reply, spec, {
      events,
      streams: deps.streams,
      keepAliveMs: deps.config.drive.eventsKeepAliveMs,
      headers: { 'cache-control': 'no-store', vary: 'pubky-host, Authorization, Cookie, Origin' },
      watchRevocation: session ? revocationWatcher(deps, session) : undefined,
    });
  });
}
