import type { HttpDeps } from '../../http/context.ts';
import type { HttpApp } from '../../http/core/http-app.ts';
import type { HttpReply } from '../../http/core/http-reply.ts';
import type { HttpRequest } from '../../http/core/http-request.ts';
import { httpError } from '../../http/errors.ts';
import { runEventStream } from '../../http/event-stream-run.ts';
import { parseEventCursor, parseQueryOr400 } from '../../http/query.ts';
import { cursorToId, streamFlag, streamLimit, streamPaths, streamUsers } from '../../http/routes/event-routes.ts';
import { queryAll, queryGet, splitUrl } from '../../http/url.ts';

/** `GET /events-stream` for the operator: every user (or some), public and private paths, any cursor. */
export function registerAdminEventRoutes(app: HttpApp, deps: HttpDeps): void {
  const { store, config } = deps;

  async function eventStream(request: HttpRequest, reply: HttpReply): Promise<void> {
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
      {
        events: store.events,
        streams: deps.streams,
        keepAliveMs: config.drive.eventsKeepAliveMs,
        headers: { 'cache-control': 'no-store' },
      },
    );
  }

  app.get('/events-stream', eventStream);
}
