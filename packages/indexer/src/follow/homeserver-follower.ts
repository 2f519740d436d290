// Follows one homeserver's public event feed (`GET /events/`): a page of events, their bodies
// fetched and checked, the whole page applied in one transaction with the new cursor. A homeserver
// that fails is retried with exponential backoff; it never holds up the others (each has its loop).
import { setMaxListeners } from 'node:events';
import { validateAppRecord, type Pubky } from '@pubky-ts/client';
import type { Change } from '../store/changes.ts';
import type { BatchResult, IndexWriter } from '../store/index-writer.ts';
import { fetchRecord, SourceError } from './fetch-record.ts';
import { resyncChanges } from './resync.ts';
import type { UserHomes } from './user-homes.ts';

export interface FollowerOptions {
  /** Events per `/events/` page (the homeserver caps it at 1000). */
  pageSize: number;
  /** Wait between polls once caught up. */
  pollMs: number;
  fetchConcurrency: number;
  requestTimeoutMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_FOLLOWER_OPTIONS: FollowerOptions = {
  pageSize: 500,
  pollMs: 200,
  fetchConcurrency: 16,
  requestTimeoutMs: 10_000,
  maxBackoffMs: 30_000,
};

export interface FollowerStatus {
  homeserver: string;
  cursor: string;
  /** true once a poll found no newer events; false while catching up or failing. */
  caughtUp: boolean;
  /** Milliseconds since the follower was last caught up (0 when it is). */
  lagMs: number;
  /** When the last poll that found nothing newer was sent. */
  caughtUpAtIso: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  nextRetryAt: string | null;
  /** Refused records by reason class since start. */
  refused: Record<string, number>;
}

const APP_ROOT = '/pub/pubky.app/';

export class HomeserverFollower {
  readonly homeserver: string;
  private cursor: string;
  private readonly pubky: Pubky;
  private readonly writer: IndexWriter;
  private readonly homes: UserHomes;
  private readonly indexedPaths: (user: string) => Set<string>;
  private readonly isDown: (homeserver: string) => boolean;
  private readonly options: FollowerOptions;
  private readonly onBatch: (homeserver: string, result: BatchResult) => void;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private caughtUpAt: number | null = null;
  private failures = 0;
  private lastError: { message: string; at: number } | null = null;
  private nextRetryAt: number | null = null;
  private readonly refused: Record<string, number> = {};

  constructor(deps: {
    homeserver: string;
    cursor: string;
    pubky: Pubky;
    writer: IndexWriter;
    homes: UserHomes;
    indexedPaths: (user: string) => Set<string>;
    /** Whether the follower of that homeserver is failing (a primary whose mirrors may stand in). */
    isDown: (homeserver: string) => boolean;
    options: FollowerOptions;
    onBatch: (homeserver: string, result: BatchResult) => void;
  }) {
    this.homeserver = deps.homeserver;
    this.cursor = deps.cursor;
    this.pubky = deps.pubky;
    this.writer = deps.writer;
    this.homes = deps.homes;
    this.indexedPaths = deps.indexedPaths;
    this.isDown = deps.isDown;
    this.options = deps.options;
    this.onBatch = deps.onBatch;
    // Every fetch in flight listens for the close.
    setMaxListeners(0, this.abort.signal);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.running;
  }

  status(): FollowerStatus {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      homeserver: this.homeserver,
      cursor: this.cursor,
      caughtUp: this.caughtUpAt !== null && this.failures === 0,
      lagMs: this.caughtUpAt === null ? -1 : this.failures === 0 ? 0 : Date.now() - this.caughtUpAt,
      caughtUpAtIso: iso(this.caughtUpAt),
      consecutiveFailures: this.failures,
      lastError: this.lastError?.message ?? null,
      lastErrorAt: iso(this.lastError?.at ?? null),
      nextRetryAt: iso(this.nextRetryAt),
      refused: { ...this.refused },
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      // The time the poll was sent, not answered: an empty answer proves only that writes committed before it are in.
      const polledAt = Date.now();
      try {
        const more = await this.step(signal);
        this.failures = 0;
        this.nextRetryAt = null;
        if (!more) {
          this.caughtUpAt = polledAt;
          await this.sleep(this.options.pollMs);
        }
      } catch (e) {
        if (signal.aborted) break;
        this.failures++;
        this.lastError = { message: (e as Error).message.slice(0, 500), at: Date.now() };
        const delay = Math.min(this.options.maxBackoffMs, 250 * 2 ** Math.min(this.failures - 1, 16)) * (0.75 + Math.random() * 0.5);
        this.nextRetryAt = Date.now() + delay;
        await this.sleep(delay);
      }
    }
  }

  /** One page: returns whether there may be more right away. */
  private async step(signal: AbortSignal): Promise<boolean> {
    let page;
    // Not AbortSignal.any: on Node 20 each call leaves a listener on the long-lived close signal.
    const ac = new AbortController();
    const timer = setTimeout(
      () => ac.abort(new Error(`no answer within ${this.options.requestTimeoutMs} ms`)),
      this.options.requestTimeoutMs,
    );
    const onClose = () => ac.abort(signal.reason);
    signal.addEventListener('abort', onClose, { once: true });
    try {
      page = await this.pubky.eventsFeed(this.homeserver, { cursor: this.cursor, limit: this.options.pageSize, signal: ac.signal });
    } catch (e) {
      throw new SourceError(`event feed: ${(e as Error).message}`, { cause: e });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onClose);
    }
    if (page.events.length === 0 || page.cursor === null) return false;
    // Only the last event of a path in the page decides its state: earlier ones are superseded within the same transaction.
    const last = new Map<string, { user: string; path: string; type: 'PUT' | 'DEL' }>();
    const skips: Change[] = [];
    for (const ev of page.events) {
      const user = ev.user.z32;
      if (!ev.path.startsWith(APP_ROOT)) {
        skips.push({ op: 'skip', user });
        continue;
      }
      const key = `${user}${ev.path}`;
      last.delete(key);
      last.set(key, { user, path: ev.path, type: ev.type });
    }
    const items = [...last.values()];
    const homes = new Map<string, string | null>();
    for (const u of new Set(items.map((i) => i.user))) {
      let home = await this.homes.homeOf(u, this.homeserver);
      // The primary is down and this homeserver mirrors the user: read the user from here meanwhile
      // (their tree is re-read from here once; the primary's next event moves them back).
      if (home !== null && home !== this.homeserver && this.isDown(home) && (await this.homes.mirrorsOf(u)).includes(this.homeserver))
        home = this.homeserver;
      homes.set(u, home);
    }
    const changes: Array<Change | null> = new Array(items.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        changes[i] = await this.change(items[i], homes.get(items[i].user) ?? null, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.fetchConcurrency, items.length) }, worker));
    // Users who moved here: their state is re-read from here first, in the same transaction.
    const moved: Change[] = [];
    for (const [user, home] of homes) {
      const stored = this.writer.storedHomeOf(user);
      if (home === this.homeserver && stored !== null && stored !== this.homeserver) {
        moved.push(
          { op: 'move', user },
          ...(await resyncChanges(this.pubky, this.homeserver, user, this.indexedPaths(user), {
            timeoutMs: this.options.requestTimeoutMs,
            signal,
          })),
        );
      }
    }
    if (signal.aborted) throw new Error('closed');
    const result = this.writer.applyBatch(this.homeserver, page.cursor, page.events.length, [...moved, ...(changes as Change[]), ...skips]);
    this.cursor = page.cursor;
    this.onBatch(this.homeserver, result);
    return page.events.length >= this.options.pageSize;
  }

  private async change(
    item: { user: string; path: string; type: 'PUT' | 'DEL' },
    home: string | null,
    signal: AbortSignal,
  ): Promise<Change> {
    if (home !== null && home !== this.homeserver) return { op: 'skip', user: item.user };
    if (item.type === 'DEL') return { op: 'del', user: item.user, path: item.path };
    const fetched = await fetchRecord(this.pubky, this.homeserver, item.user, item.path, {
      timeoutMs: this.options.requestTimeoutMs,
      signal,
    });
    if (fetched.kind === 'gone') return { op: 'del', user: item.user, path: item.path };
    const validation =
      fetched.kind === 'refused' ? { ok: false as const, reason: fetched.reason } : await validateAppRecord(item.path, fetched.bytes);
    if (!validation.ok) {
      const cls = validation.reason.startsWith('content hash mismatch')
        ? 'hash_mismatch'
        : /bytes/.test(validation.reason)
          ? 'too_large'
          : 'invalid';
      this.refused[cls] = (this.refused[cls] ?? 0) + 1;
      return { op: 'invalid', user: item.user, path: item.path, reason: validation.reason };
    }
    return { op: 'put', user: item.user, path: item.path, record: validation.record };
  }
}
