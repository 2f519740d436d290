import { createBlake3, etagOfHash, PublicKey, type MirrorStatus, type PubkyEvent } from '@pubky-ts/common';
import { StorageError } from '../storage/errors.ts';
import type { HomeserverStore } from '../storage/types.ts';
import type { MirrorProgress, MirrorRecord, MirrorStore } from './mirror-store.ts';
import { decodeContentHash, PrimaryConnection, PrimaryError, type PrimaryResolver } from './primary.ts';

export interface FollowerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FollowerDeps {
  store: HomeserverStore;
  mirrors: MirrorStore;
  resolver: PrimaryResolver;
  log: FollowerLog;
  /** µs */
  nowMicros: () => number;
  /** Reconnect backoff bounds (ms): doubles from `min` to `max` while the primary fails. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** This homeserver's `drive.max_file_bytes` (null = none): larger files are not copied. */
  maxFileBytes: number | null;
}

/** What GET /mirror shows (the format is common's, read by the SDK). */
export type { MirrorStatus } from '@pubky-ts/common';

/** Events read ahead of the one being applied (the reader waits when this many are queued). */
const MAX_QUEUED = 1000;
/** A bearer is renewed when it has less than this left (seconds). */
const BEARER_MARGIN_S = 120;

class HashMismatch extends Error {}
/** The mirror's record is gone or was replaced by a newer PUT /mirror: this follower must end. */
class Superseded extends Error {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Numeric cursors compare as numbers; anything else only by equality. */
function reached(cursor: string, target: string | null): boolean {
  if (target === null) return true;
  if (/^\d+$/.test(cursor) && /^\d+$/.test(target)) return BigInt(cursor) >= BigInt(target);
  return cursor === target;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function isoOfMicros(v: number | null): string | null {
  return v === null ? null : new Date(Math.floor(v / 1000)).toISOString();
}

export function statusOfRecord(r: MirrorRecord, nowMicros: number): MirrorStatus {
  return {
    user: r.user,
    primary: r.primary,
    private: r.grant !== null,
    state: r.state,
    cursor: r.cursor,
    appliedEvents: r.appliedEvents,
    pendingEvents: r.pendingEvents,
    lagMs: r.pendingEvents > 0 && r.oldestPendingAt !== null ? Math.max(0, Math.round((nowMicros - r.oldestPendingAt) / 1000)) : 0,
    lastAppliedAt: isoOfMicros(r.lastAppliedAt),
    lastError: r.lastError,
  };
}

/**
 * Keeps one user's copy: follows the primary's `/events-stream` from the persisted cursor, applies
 * each event through the homeserver's own file store (PUT: fetched, BLAKE3-checked while it streams
 * in, so bytes that do not match are never committed; DEL: removed), and persists the cursor after
 * every applied event. Reconnects with bounded exponential backoff.
 */
export class MirrorFollower {
  readonly user: string;
  readonly generation: number;
  private readonly primary: PublicKey;
  private readonly grant: string | null;
  private readonly grantExpiresAt: number | null;
  private bearer: string | null;
  private bearerExpiresAt: number | null;
  private rec: MirrorRecord;
  /** Receive times (µs) of the queued events, oldest first, plus the one being applied. */
  private readonly pending: number[] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private target: string | null = null;

  constructor(
    private readonly deps: FollowerDeps,
    record: MirrorRecord,
  ) {
    this.rec = { ...record };
    this.user = record.user;
    this.generation = record.generation;
    this.primary = PublicKey.parseZ32(record.primary);
    this.grant = record.grant;
    this.grantExpiresAt = record.grantExpiresAt;
    this.bearer = record.bearer;
    this.bearerExpiresAt = record.bearerExpiresAt;
  }

  get running(): boolean {
    return this.loop !== null && !this.abort.signal.aborted;
  }

  start(): void {
    this.loop ??= this.run().catch((e) => this.deps.log.warn({ err: e, user: this.user }, 'mirror follower crashed'));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  status(): MirrorStatus {
    const s = statusOfRecord(
      { ...this.rec, pendingEvents: this.pending.length, oldestPendingAt: this.pending[0] ?? null },
      this.deps.nowMicros(),
    );
    return s;
  }

  private async report(progress: MirrorProgress): Promise<void> {
    Object.assign(this.rec, progress);
    const full: MirrorProgress = { ...progress, pendingEvents: this.pending.length, oldestPendingAt: this.pending[0] ?? null };
    if (!(await this.deps.mirrors.report(this.user, this.generation, full, this.deps.nowMicros()))) throw new Superseded();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const { backoffMinMs, backoffMaxMs } = this.deps;
    let delay = backoffMinMs;
    let fresh = false;
    while (!signal.aborted) {
      if (this.grantExpiresAt !== null && this.grantExpiresAt <= Math.floor(this.deps.nowMicros() / 1e6)) {
        await this.report({ state: 'stopped', lastError: 'the grant has expired: PUT /mirror again with a new grant' }).catch(
          () => undefined,
        );
        return;
      }
      try {
        const conn = await PrimaryConnection.open(this.deps.resolver, this.primary, this.user, { fresh, signal });
        fresh = false;
        await this.follow(conn, () => {
          delay = backoffMinMs;
        });
        // The primary ended the stream (e.g. it is shutting down): reconnect soon.
        if (!signal.aborted) await sleep(backoffMinMs, signal);
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof Superseded) return;
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof PrimaryError && e.status === null) fresh = true; // unreachable: maybe it moved
        if (e instanceof PrimaryError && e.status === 401) this.bearer = null;
        this.pending.length = 0;
        try {
          await this.report({ state: 'retrying', lastError: message });
        } catch (err) {
          if (err instanceof Superseded) return;
        }
        this.deps.log.warn({ user: this.user, primary: this.primary.z32, err: message, retryInMs: delay }, 'mirror follower retrying');
        // Full jitter in the upper half, so many followers of one primary do not reconnect together.
        await sleep(delay / 2 + Math.random() * (delay / 2), signal);
        delay = Math.min(delay * 2, backoffMaxMs);
      }
    }
    // Stopped by the service (shutdown, lease lost, DELETE): the row keeps its state for the next run.
    this.pending.length = 0;
  }

  private async currentBearer(conn: PrimaryConnection, forceNew = false): Promise<string | null> {
    if (this.grant === null) return null;
    const now = Math.floor(this.deps.nowMicros() / 1e6);
    if (!forceNew && this.bearer !== null && this.bearerExpiresAt !== null && this.bearerExpiresAt - now > BEARER_MARGIN_S)
      return this.bearer;
    const { token, expiresAt } = await conn.exchangeGrant(this.grant, this.abort.signal);
    this.bearer = token;
    this.bearerExpiresAt = expiresAt;
    await this.report({ bearer: token, bearerExpiresAt: expiresAt });
    return token;
  }

  /** One connection: reads the live stream into a bounded queue while the events are applied in order. */
  private async follow(conn: PrimaryConnection, onConnected: () => void): Promise<void> {
    const withPrivate = this.grant !== null;
    const latest = await conn.latestEvent(withPrivate, await this.currentBearer(conn), this.abort.signal);
    this.target = latest?.cursor ?? null;
    const caughtUp = reached(this.rec.cursor, this.target);
    const connection = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, connection.signal]);
    const stream = conn.events(this.rec.cursor, withPrivate, await this.currentBearer(conn), signal);
    onConnected();
    await this.report({ state: caughtUp ? 'live' : 'catching_up', lastError: this.rec.lastError });

    const queue: PubkyEvent[] = [];
    let readerDone = false;
    let readerError: unknown = null;
    const wake: { applier: (() => void) | null; reader: (() => void) | null } = { applier: null, reader: null };
    const reader = (async () => {
      try {
        for await (const ev of stream) {
          queue.push(ev);
          this.pending.push(this.deps.nowMicros());
          wake.applier?.();
          while (queue.length >= MAX_QUEUED && !signal.aborted) await new Promise<void>((r) => (wake.reader = r));
        }
      } catch (e) {
        if (!signal.aborted) readerError = e;
      } finally {
        readerDone = true;
        wake.applier?.();
      }
    })();

    try {
      for (;;) {
        if (this.abort.signal.aborted) return;
        const ev = queue[0];
        if (ev === undefined) {
          if (readerDone) break;
          await new Promise<void>((r) => (wake.applier = r));
          wake.applier = null;
          continue;
        }
        await this.apply(conn, ev);
        queue.shift();
        this.pending.shift();
        wake.reader?.();
        const progress: MirrorProgress = {
          cursor: ev.cursor,
          appliedEvents: this.rec.appliedEvents + 1,
          lastAppliedAt: this.deps.nowMicros(),
          lastError: null,
        };
        if (this.rec.state !== 'live' && reached(ev.cursor, this.target)) progress.state = 'live';
        await this.report(progress);
      }
    } finally {
      connection.abort();
      wake.reader?.();
      await reader;
    }
    if (readerError) throw readerError;
  }

  private async apply(conn: PrimaryConnection, ev: PubkyEvent): Promise<void> {
    const { files } = this.deps.store;
    if (ev.type === 'DEL') {
      try {
        await files.delete(this.user, ev.path);
      } catch (e) {
        if (!(e instanceof StorageError && e.status === 404)) throw e;
      }
      return;
    }
    const expected = decodeContentHash(ev.contentHash);
    if (!expected) throw new PrimaryError(`the primary sent a PUT event of ${ev.path} without a valid content_hash`);
    const local = await files.head(this.user, ev.path);
    if (local && sameBytes(local.contentHash, expected)) return; // already holds exactly these bytes
    await this.fetchAndStore(conn, ev.path, expected, false);
  }

  private async fetchAndStore(conn: PrimaryConnection, path: string, expected: Uint8Array, retried: boolean): Promise<void> {
    const isPrivate = path.startsWith('/priv/');
    const bearer = isPrivate ? await this.currentBearer(conn) : null;
    const signal = this.abort.signal;
    const res = await conn.get(path, bearer, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return; // gone since: a later DEL event follows
    }
    if (res.status === 401 && isPrivate && !retried) {
      await res.body?.cancel();
      await this.currentBearer(conn, true);
      return this.fetchAndStore(conn, path, expected, true);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new PrimaryError(`the primary answered ${res.status} to GET ${path}`, res.status);
    }
    const max = this.deps.maxFileBytes;
    const length = Number(res.headers.get('content-length'));
    const tooLarge = (): PrimaryError =>
      new PrimaryError(`${path} is larger than this homeserver's drive.max_file_bytes (${max} bytes): it cannot be mirrored here`);
    if (max !== null && Number.isSafeInteger(length) && length > max) {
      await res.body.cancel();
      throw tooLarge();
    }
    const body = res.body as unknown as AsyncIterable<Uint8Array>;
    const hasher = await createBlake3();
    async function* verified(): AsyncGenerator<Uint8Array> {
      let total = 0;
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (max !== null && total > max) throw tooLarge();
        hasher.update(chunk);
        yield chunk;
      }
      // Thrown before the store commits: bytes that do not hash to the event's hash are never kept.
      if (!sameBytes(hasher.digest(), expected)) throw new HashMismatch();
    }
    try {
      const entry = await this.deps.store.files.put(this.user, path, verified(), {
        sizeHint: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
        signal,
      });
      const primaryType = res.headers.get('content-type')?.split(';')[0]?.trim();
      if (primaryType && primaryType !== entry.contentType) {
        this.deps.log.warn(
          { user: this.user, path, primaryType, storedType: entry.contentType },
          'mirrored file stored with another content type',
        );
      }
    } catch (e) {
      if (!(e instanceof HashMismatch)) throw e;
      const etag = await conn.headEtag(path, bearer, signal);
      if (etag !== etagOfHash(expected)) return; // superseded: a later event carries the newer content
      throw new PrimaryError(`the primary served bytes for ${path} that do not match its hash ${etagOfHash(expected)}: not stored`);
    }
  }
}
