import type { ServerResponse } from 'node:http';
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
export function formatCached(e: StoredEvent): string {
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
