import type { ServerResponse } from 'node:http';
import type { HttpReply } from './core/http-reply.ts';
import type { StoredEvent } from '../storage/types.ts';
import { formatCached, matchesPaths, type RunStreamOptions, type StreamSpec } from './event-streams.ts';

const BATCH = 100;
/** A live subscriber this far behind (bytes queued in its socket) is disconnected. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Takes over the reply and runs one stream until it ends, the client leaves, or shutdown. */
export function runEventStream(reply: HttpReply, spec: StreamSpec, opts: RunStreamOptions): Promise<void> {
  return new EventStreamRun(reply.raw, spec, opts).run(reply);
}

/**
 * One open event stream: the catch-up from the store in pages of BATCH, then (live) the events of
 * the bus. Live events that arrive during the catch-up are queued and sent after it, each at most
 * once and in order (the cursors drop what the catch-up already sent).
 */
class EventStreamRun {
  private readonly cursors = new Map<string, number | null>();
  private globalCursor: number | null;
  private remaining: number;
  private closed = false;
  private batching = true;
  private halfFull = false;
  private readonly queue: StoredEvent[] = [];
  private readonly cleanups: Array<() => void> = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly spec: StreamSpec,
    private readonly opts: RunStreamOptions,
  ) {
    for (const u of spec.users ?? []) this.cursors.set(u.user, u.cursor);
    this.globalCursor = spec.cursor;
    this.remaining = spec.limit ?? Infinity;
    res.once('close', this.finish);
  }

  async run(reply: HttpReply): Promise<void> {
    this.start(reply);
    try {
      await this.catchUp();
    } catch (e) {
      this.res.destroy(e as Error);
      return;
    }
    if (this.closed) return;
    if (!this.spec.live) {
      this.finish();
      return;
    }
    this.batching = false;
    for (const e of this.queue.splice(0)) if (this.accepts(e)) this.send(e);
  }

  /** Ends the stream once: subscriptions and timers go, the response ends. */
  private readonly finish = (): void => {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.cleanups) c();
    if (!this.res.writableEnded) this.res.end();
  };

  /** The head (the reply's headers so far, CORS included), the live subscription, keep-alives. */
  private start(reply: HttpReply): void {
    const { res, opts } = this;
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
    if (this.spec.live) {
      this.cleanups.push(
        opts.events.bus.subscribe((e) => {
          if (this.closed || !this.accepts(e)) return;
          if (this.batching) this.queue.push(e);
          else this.send(e);
        }),
      );
    }
    if (opts.watchRevocation) this.cleanups.push(opts.watchRevocation(this.finish));
    const keepAlive = setInterval(() => {
      if (!this.closed) res.write(':\n\n');
    }, opts.keepAliveMs);
    keepAlive.unref();
    this.cleanups.push(() => clearInterval(keepAlive));
  }

  /** The stored events after the cursors, page by page, until a page comes back empty. */
  private async catchUp(): Promise<void> {
    const { spec, opts } = this;
    const metrics = opts.streams.metrics;
    while (!this.closed) {
      const queried = performance.now();
      const page = await opts.events.read({
        users: spec.users === null ? undefined : [...this.cursors].map(([user, cursor]) => ({ user, cursor })),
        cursor: this.globalCursor,
        paths: spec.paths ?? undefined,
        reverse: spec.reverse,
        limit: Math.min(BATCH, this.remaining),
      });
      metrics?.streamQueryMs.observe(performance.now() - queried);
      if (page.length === 0) break;
      for (const e of page) {
        if (this.closed) break;
        this.send(e);
      }
    }
  }

  private accepts(e: StoredEvent): boolean {
    const { spec, cursors } = this;
    if (spec.users !== null) {
      if (!cursors.has(e.user)) return false;
      const c = cursors.get(e.user);
      if (c != null && e.id <= c) return false;
    }
    if (this.globalCursor !== null && e.id <= this.globalCursor) return false;
    return matchesPaths(e.path, spec.paths);
  }

  /** Writes one event and moves the cursors; a subscriber too far behind is disconnected. */
  private send(e: StoredEvent): void {
    if (this.closed) return;
    const { spec, res } = this;
    if (spec.users !== null) this.cursors.set(e.user, e.id);
    if (spec.users === null || spec.cursor !== null) this.globalCursor = e.id;
    res.write(formatCached(e));
    if (--this.remaining <= 0) return this.finish();
    const metrics = this.opts.streams.metrics;
    if (res.writableLength <= MAX_BUFFERED_BYTES / 2) {
      this.halfFull = false;
    } else if (res.writableLength > MAX_BUFFERED_BYTES) {
      metrics?.streamLagged.inc();
      res.destroy();
    } else if (!this.halfFull) {
      this.halfFull = true;
      metrics?.streamHalfFull.inc();
    }
  }
}
