// Homeserver events: the `/events-stream` SSE stream (homeserver §4.3) and the `/events/` text feed
// (§4.2) that indexers poll. The event formats themselves are common's (`event-line.ts`).
import { parseEventMessage, parseEventsFeed, parseSseStream, PublicKey, type EventsPage, type PubkyEvent } from '@pubky-ts/common';
import { ClientError } from './errors.ts';
import { httpError, type PubkyHttp } from './http.ts';
import { readTextLimited } from './read-limited.ts';
import type { SessionCredential } from './storage.ts';

export interface EventsOptions {
  /** 1..50 users per homeserver, each with an optional cursor to resume after. */
  users: Array<{ key: PublicKey | string; cursor?: string } | PublicKey | string>;
  /** Path filters: a directory ends in `/`, anything else matches one file. Default (server): `/pub/`. */
  paths?: string[];
  /** After the stored events, keep the connection open for new ones. */
  live?: boolean;
  /** Newest first (not with `live`). */
  reverse?: boolean;
  /** Total events to deliver, then stop. */
  limit?: number;
  signal?: AbortSignal;
}

const MAX_USERS_PER_STREAM = 50;

function normalizeUsers(users: EventsOptions['users']): Array<{ key: PublicKey; cursor?: string }> {
  if (!Array.isArray(users) || users.length === 0) throw new ClientError('invalid_argument', 'events need at least one user');
  return users.map((u) => {
    if (typeof u === 'string' || u instanceof PublicKey) return { key: typeof u === 'string' ? PublicKey.parse(u) : u };
    const key = typeof u.key === 'string' ? PublicKey.parse(u.key) : u.key;
    if (u.cursor !== undefined) parseCursorArg(u.cursor);
    return u.cursor === undefined ? { key } : { key, cursor: u.cursor };
  });
}

function parseCursorArg(c: string): void {
  if (typeof c !== 'string' || c === '' || /[\s:&]/.test(c))
    throw new ClientError('invalid_argument', `invalid cursor ${JSON.stringify(String(c).slice(0, 40))}`);
}

function streamQuery(users: Array<{ key: PublicKey; cursor?: string }>, options: EventsOptions): string {
  const q = new URLSearchParams();
  for (const u of users) q.append('user', u.cursor ? `${u.key.z32}:${u.cursor}` : u.key.z32);
  for (const p of options.paths ?? []) q.append('path', p);
  if (options.live) q.append('live', 'true');
  if (options.reverse) q.append('reverse', 'true');
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 65535) {
      throw new ClientError('invalid_argument', 'limit is an integer 1..65535');
    }
    q.append('limit', String(options.limit));
  }
  return q.toString();
}

/**
 * Streams events of users, grouped by homeserver (one connection per homeserver, merged). Ends when
 * the server finishes (not live), at `limit`, or when `signal` aborts; breaking out of the loop
 * closes the connections.
 */
export async function* streamEvents(
  http: PubkyHttp,
  options: EventsOptions,
  credential?: SessionCredential,
): AsyncGenerator<PubkyEvent, void, undefined> {
  if (options.live && options.reverse) throw new ClientError('invalid_argument', 'live mode cannot run in reverse order');
  const users = normalizeUsers(options.users);
  const groups = new Map<string, { homeserver: PublicKey; users: typeof users }>();
  for (const u of users) {
    const hs =
      credential && u.key.equals(credential.user) ? credential.homeserver : await http.pkdns.requireHomeserverOf(u.key, options.signal);
    const g = groups.get(hs.z32) ?? { homeserver: hs, users: [] };
    g.users.push(u);
    groups.set(hs.z32, g);
  }
  for (const g of groups.values()) {
    if (g.users.length > MAX_USERS_PER_STREAM) {
      throw new ClientError('invalid_argument', `at most ${MAX_USERS_PER_STREAM} users per homeserver in one stream`);
    }
  }
  const streams = [...groups.values()].map((g) => oneStream(http, g.homeserver, g.users, options, credential));
  let delivered = 0;
  const source = streams.length === 1 ? streams[0] : merge(streams);
  try {
    for await (const ev of source) {
      yield ev;
      if (options.limit !== undefined && ++delivered >= options.limit) return;
    }
  } finally {
    await source.return?.(undefined);
  }
}

async function* oneStream(
  http: PubkyHttp,
  homeserver: PublicKey,
  users: Array<{ key: PublicKey; cursor?: string }>,
  options: EventsOptions,
  credential?: SessionCredential,
): AsyncGenerator<PubkyEvent, void, undefined> {
  const single = users.length === 1 ? users[0].key : undefined;
  const own = credential && single?.equals(credential.user);
  const bearer = own ? await credential!.bearer(options.signal) : undefined;
  const res = await http.request({
    homeserver,
    // A single user: address it (and send its cookie) so private paths can be read with a session.
    owner: single,
    path: `/events-stream?${streamQuery(users, options)}`,
    headers: { accept: 'text/event-stream' },
    bearer,
    anonymous: !own,
    signal: options.signal,
  });
  if (!res.ok) throw await httpError(res, 'GET');
  if (!res.body) return;
  for await (const msg of parseSseStream(res.body)) yield parseEventMessage(msg);
}

/** Interleaves async generators as their items arrive; closes the others when one fails or the consumer stops. */
async function* merge<T>(sources: AsyncGenerator<T, void, undefined>[]): AsyncGenerator<T, void, undefined> {
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T, void> }>>();
  const pull = (i: number) =>
    pending.set(
      i,
      sources[i].next().then((r) => ({ i, r })),
    );
  sources.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pull(i);
      yield r.value;
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.return(undefined)));
  }
}

// ---- the `/events/` text feed ----

export interface FeedOptions {
  cursor?: string;
  limit?: number;
  signal?: AbortSignal;
}

/** One page of a homeserver's public event feed (`GET /events/?cursor=&limit=`). */
export async function fetchEventsFeed(http: PubkyHttp, homeserver: PublicKey, options: FeedOptions = {}): Promise<EventsPage> {
  const q = new URLSearchParams();
  if (options.cursor !== undefined) {
    parseCursorArg(options.cursor);
    q.set('cursor', options.cursor);
  }
  if (options.limit !== undefined) q.set('limit', String(options.limit));
  const qs = q.toString();
  const res = await http.request({ homeserver, path: `/events/${qs ? `?${qs}` : ''}`, anonymous: true, signal: options.signal });
  if (!res.ok) throw await httpError(res, 'GET');
  return parseEventsFeed(
    await readTextLimited(res, 8 * 1024 * 1024, () => new ClientError('invalid_events_feed', 'the feed page is larger than 8 MiB')),
  );
}
