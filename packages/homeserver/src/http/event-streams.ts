import type { ServerResponse } from 'node:http';
import type { HttpReply } from './core/http-reply.ts';
import { base64Encode, formatEventMessage } from '@pubky-ts/common';
import type { HomeserverMetrics } from '../metrics/homeserver-metrics.ts';
import type { EventStore, StoredEvent } from '../storage/types.ts';

/** Server-sent event streams (spec §4.3): batch phase from the store, then live events from the bus. */

export interface StreamUser {
  user: string;
  /** Exclusive cursor; null = from the start (or the end when reversed). */
  cursor: number | null;
}

export interface StreamSpec {
  /** null = every user (admin stream). */
  users: StreamUser[] | null;
  /** Global exclusive cursor (admin stream). */
  cursor: number | null;
  /** Union filter (directories end with `/`); null = every path (admin stream). */
  paths: string[] | null;
  reverse: boolean;
  live: boolean;
  /** Total events to send before closing; null = unbounded. */
  limit: number | null;
}

const BATCH = 100;
/** A live subscriber this far behind (bytes queued in its socket) is disconnected. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The exact SSE message bytes of an event (spec §4.3). */
export function formatEvent(e: StoredEvent): string {
  return formatEventMessage(e.type, e.user, e.path, e.id, e.type === 'PUT' && e.contentHash ? base64Encode(e.contentHash) : null);
}

export function matchesPaths(path: string, filters: readonly string[] | null): boolean {
  if (filters === null) return true;
  for (const f of filters) {
    if (f.endsWith('/') ? path.startsWith(f) : path === f) return true;
  }
  return false;
}

// Many subscribers receive the same event; format it once.
let lastFormatted: { e: StoredEvent; text: string } | null = null;
function formatCached(e: StoredEvent): string {
  if (lastFormatted?.e !== e) lastFormatted = { e, text: formatEvent(e) };
  return lastFormatted.text;
}

/** Registry of open streams, so shutdown can end them instead of waiting for clients. */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(readonly metrics: HomeserverMetrics | null = null) {}

  get size(): number {
    return this.open.size;
  }

  add(res: ServerResponse): void {
    this.open.add(res);
    const m = this.metrics;
    const opened = performance.now();
    m?.streamActive.add(1);
    res.once('close', () => {
      this.open.delete(res);
      if (m) {
        m.streamActive.add(-1);
        m.streamConnectionMs.observe(performance.now() - opened);
      }
    });
  }

  endAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }
}

export interface RunStreamOptions {
  events: EventStore;
  streams: EventStreams;
  keepAliveMs: number;
  /** Extra response headers (cache policy, CORS already on the reply). */
  headers: Record<string, string>;
  /** Subscribes to a signal that ends the stream (revocation of its session); returns unsubscribe. */
  watchRevocation?: (end: () => void) => () => void;
}

/** Takes over the reply and runs one stream until it ends, the client leaves, or shutdown. */
export async function runEventStream(reply: HttpReply, spec: StreamSpec, opts: RunStreamOptions): Promise<void> {
  const res = reply.raw;
  const cursors = new Map<string, number | null>();
  for (const u of spec.users ?? []) cursors.set(u.user, u.cursor);
  let globalCursor = spec.cursor;
  let remaining = spec.limit ?? Infinity;
  let closed = false;
  const queue: StoredEvent[] = [];
  let batching = true;

  const cleanups: Array<() => void> = [];
  const finish = (): void => {
    if (closed) return;
    closed = true;
    for (const c of cleanups) c();
    if (!res.writableEnded) res.end();
  };
  res.once('close', finish);

  const accepts = (e: StoredEvent): boolean => {
    if (spec.users !== null) {
      if (!cursors.has(e.user)) return false;
      const c = cursors.get(e.user);
      if (c != null && e.id <= c) return false;
    }
    if (globalCursor !== null && e.id <= globalCursor) return false;
    return matchesPaths(e.path, spec.paths);
  };
  const metrics = opts.streams.metrics;
  let halfFull = false;
  const send = (e: StoredEvent): void => {
    if (closed) return;
    if (spec.users !== null) cursors.set(e.user, e.id);
    if (spec.users === null || spec.cursor !== null) globalCursor = e.id;
    res.write(formatCached(e));
    if (--remaining <= 0) finish();
    else if (res.writableLength > MAX_BUFFERED_BYTES / 2) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        metrics?.streamLagged.inc();
        res.destroy();
      } else if (!halfFull) {
        halfFull = true;
        metrics?.streamHalfFull.inc();
      }
    } else halfFull = false;
  };

  reply.hijack();
  const headers: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string;
  res.writeHead(200, {
    ...headers,
    ...opts.headers,
    'content-type': 'text/event-stream',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  opts.streams.add(res);

  if (spec.live) {
    cleanups.push(
      opts.events.bus.subscribe((e) => {
        if (closed || !accepts(e)) return;
        if (batching) queue.push(e);
        else send(e);
      }),
    );
  }
  if (opts.watchRevocation) cleanups.push(opts.watchRevocation(finish));
  const keepAlive = setInterval(() => {
    if (!closed) res.write(':\n\n');
  }, opts.keepAliveMs);
  keepAlive.unref();
  cleanups.push(() => clearInterval(keepAlive));

  try {
    while (!closed) {
      const queried = performance.now();
      const page = await opts.events.read({
        users: spec.users === null ? undefined : [...cursors].map(([user, cursor]) => ({ user, cursor })),
        cursor: globalCursor,
        paths: spec.paths ?? undefined,
        reverse: spec.reverse,
        limit: Math.min(BATCH, remaining),
      });
      metrics?.streamQueryMs.observe(performance.now() - queried);
      if (page.length === 0) break;
      for (const e of page) {
        if (closed) break;
        send(e);
      }
    }
  } catch (e) {
    res.destroy(e as Error);
    return;
  }
  if (closed) return;
  if (!spec.live) {
    finish();
    return;
  }
  batching = false;
  for (const e of queue.splice(0)) if (accepts(e)) send(e);
}
