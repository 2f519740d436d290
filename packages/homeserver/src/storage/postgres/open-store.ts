import { mkdirSync } from 'node:fs';
import { PgMirrorStore } from '../../mirror/pg-mirror-store.ts';
import { advisoryKey, PgDatabase, type PgDatabaseOptions } from '../../db/postgres/database.ts';
import { runPgMigrations, type PgMigration } from '../../db/postgres/migrate.ts';
import { pgMigrations } from '../../db/postgres/migrations/index.ts';
import { LocalBus } from '../bus.ts';
import { DEFAULT_INLINE_THRESHOLD } from '../open-store.ts';
import { fileStoreChain } from '../file-store-chain.ts';
import type { PathPolicyFileStore } from '../path-policy.ts';
import type { HomeserverStore, Revocation, StoredEvent } from '../types.ts';
import { DirBlobs, PgChunkBlobs, type BlobBackend } from './blobs.ts';
import { EVENTS_CHANNEL, REVOCATIONS_CHANNEL, revocationFromRow, type PgContext } from './context.ts';
import { PgEventStore } from './event-store.ts';
import { EVENT_SELECT, eventFromRow, type EventRow } from '../rows.ts';
import { PgFileStore } from './file-store.ts';
import { PgGrantStore } from './grant-store.ts';
import { PgListener } from './listener.ts';
import { OrderedFeed } from './ordered-feed.ts';
import { PgReplayGuard } from './replay-guard.ts';
import { PgCookieSessionStore } from './session-store.ts';
import { PgSignupTokenStore } from './signup-token-store.ts';
import { PgUserPacketStore } from './user-packet-store.ts';
import { PgUserStore } from './user-store.ts';

/** The reference's events advisory lock key (spec §4.1), used for the default schema. */
export const EVENTS_LOCK_KEY = 0x6576656e74730000n;

export interface PostgresStoreOptions extends Omit<PgDatabaseOptions, 'schema'> {
  /** Schema holding every table (created if missing). Default: the connection's search_path (public). */
  schema?: string | null;
  /** Where contents above `inlineThreshold` go: rows of `blob_chunks`, or files in a directory shared by every process. */
  blobs: 'postgres' | { dir: string; fsync?: boolean };
  /** `[storage].default_quota_mb` after legacy resolution: null/undefined = unlimited, 0 = zero. */
  defaultQuotaMb?: number | null;
  /** Contents up to this many bytes are stored inline in `entries` (default 64 KiB, as SQLite). */
  inlineThreshold?: number;
  /** Fallback poll of events/revocations when no NOTIFY arrives (default 5000 ms). */
  pollIntervalMs?: number;
  /** Listener reconnect backoff (defaults 250 → 5000 ms). */
  listenerBackoffMs?: { min: number; max: number };
  /** Revocation rows older than this are purged (default 1 h). */
  revocationRetentionMs?: number;
  /** How long an event id may stay invisible behind visible later ones before it is settled (default 250 ms). */
  eventGapTimeoutMs?: number;
  /** Benchmarks only: apply these migrations instead of all (e.g. 0001 alone, whose writers take the events lock exclusive). */
  migrations?: PgMigration[];
}

/**
 * The events watermark: waits until every writer that has taken an event id has finished (writers
 * hold the events lock SHARED from before `nextval` to their COMMIT; this takes it EXCLUSIVE, and
 * PostgreSQL queues new shared requests behind it), then reads the sequence. Every id ≤ the answer
 * is final: committed or never going to exist. Costs about one commit of latency to the writers that
 * arrive meanwhile, so the feed only calls it at start-up and for gaps that do not close by themselves.
 */
export async function settleEvents(db: PgDatabase, eventLockKey: string): Promise<number> {
  return db.tx(async (c) => {
    await c.query("SET LOCAL lock_timeout = '10s'");
    await c.query('SELECT pg_advisory_xact_lock($1)', [eventLockKey]);
    const { rows } = await c.query<{ s: number }>(
      "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0)::bigint AS s",
    );
    return rows[0].s;
  });
}

/** The events lock key: the reference's in the default schema, a per-schema one otherwise. */
export function eventLockKeyFor(schema: string | null): string {
  return schema ? String(advisoryKey(`pubky-homeserver:events:${schema}`)) : EVENTS_LOCK_KEY.toString();
}

/** The scale-out (PostgreSQL) implementation of every store; several processes may share one database. */
export class PostgresHomeserverStore implements HomeserverStore {
  readonly users: PgUserStore;
  readonly signupTokens: PgSignupTokenStore;
  readonly sessions: PgCookieSessionStore;
  readonly grants: PgGrantStore;
  readonly authTokenReplay: PgReplayGuard;
  readonly files: PathPolicyFileStore;
  /** The bookkeeping layer without policy (tests, admin tools, benchmarks). */
  readonly rawFiles: PgFileStore;
  readonly events: PgEventStore;
  readonly packets: PgUserPacketStore;
  readonly revocations: LocalBus<Revocation>;
  readonly mirrors: PgMirrorStore;
  readonly singleProcess = false;
  readonly db: PgDatabase;
  readonly blobs: BlobBackend;
  readonly listener: PgListener;
  readonly ctx: PgContext;
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;
  private closed = false;

  /** Use `openPostgresStore` (it runs the migrations and reads the start positions first). */
  constructor(db: PgDatabase, options: PostgresStoreOptions, start: { events: number; revocations: number }) {
    this.db = db;
    this.mirrors = new PgMirrorStore(db);
    const eventBus = new LocalBus<StoredEvent>();
    this.revocations = new LocalBus<Revocation>();
    this.blobs = options.blobs === 'postgres' ? new PgChunkBlobs(db) : new DirBlobs(db, options.blobs.dir, { fsync: options.blobs.fsync });
    const eventLockKey = eventLockKeyFor(db.schema);
    const eventFeed = new OrderedFeed<StoredEvent>({
      bus: eventBus,
      start: start.events,
      settle: () => settleEvents(db, eventLockKey),
      gapTimeoutMs: options.eventGapTimeoutMs,
      fetch: async (after, limit) =>
        (await db.query<EventRow>(`${EVENT_SELECT} WHERE e.id > $1 ORDER BY e.id LIMIT $2`, [after, limit], { retry: true })).rows.map(
          (r) => ({
            id: r.id,
            value: eventFromRow(r),
          }),
        ),
    });
    const revocationFeed = new OrderedFeed<Revocation>({
      bus: this.revocations,
      start: start.revocations,
      fetch: async (after, limit) =>
        (
          await db.query<{ id: number; kind: string; ref: string }>(
            'SELECT id, kind, ref FROM revocations WHERE id > $1 ORDER BY id LIMIT $2',
            [after, limit],
            { retry: true },
          )
        ).rows.map((r) => ({ id: r.id, value: revocationFromRow(r.kind, r.ref) })),
    });
    const schemaTag = db.schema ?? '';
    this.ctx = {
      db,
      blobs: this.blobs,
      eventBus,
      revocations: this.revocations,
      eventFeed,
      revocationFeed,
      inlineThreshold: options.inlineThreshold ?? DEFAULT_INLINE_THRESHOLD,
      defaultQuotaMb: options.defaultQuotaMb ?? null,
      eventLockKey,
      revocationLockKey: advisoryKey(`pubky-homeserver:revocations:${schemaTag}`),
    };
    this.users = new PgUserStore(this.ctx);
    this.signupTokens = new PgSignupTokenStore(this.ctx);
    this.sessions = new PgCookieSessionStore(this.ctx);
    this.grants = new PgGrantStore(this.ctx);
    this.authTokenReplay = new PgReplayGuard(this.ctx);
    this.events = new PgEventStore(this.ctx);
    this.packets = new PgUserPacketStore(this.ctx);
    this.rawFiles = new PgFileStore(this.ctx);
    this.files = fileStoreChain(this.rawFiles, this.users, this.ctx.defaultQuotaMb);
    this.listener = new PgListener({
      config: db.clientConfig(),
      channels: [EVENTS_CHANNEL, REVOCATIONS_CHANNEL],
      onNotify: (channel) => (channel === EVENTS_CHANNEL ? eventFeed.wake() : revocationFeed.wake()),
      onListening: () => {
        eventFeed.wake();
        revocationFeed.wake();
      },
      minBackoffMs: options.listenerBackoffMs?.min,
      maxBackoffMs: options.listenerBackoffMs?.max,
    });
    const retention = (options.revocationRetentionMs ?? 3_600_000) * 1000;
    this.timer = setInterval(() => {
      eventFeed.wake();
      revocationFeed.wake();
      if (++this.ticks % 60 === 0) {
        db.query('DELETE FROM revocations WHERE created_at < $1', [Date.now() * 1000 - retention]).catch(() => undefined);
      }
    }, options.pollIntervalMs ?? 5000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.ctx.eventFeed.close();
    this.ctx.revocationFeed.close();
    await this.listener.stop();
    await this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Opens the PostgreSQL store: connects, runs pending migrations (advisory-locked, safe when several
 * processes start together), sweeps abandoned uploads, starts listening for `events` and
 * `auth_revocations`. Every process's buses deliver every event / revocation committed after this
 * call, in id order.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresHomeserverStore> {
  if (typeof options.blobs === 'object') mkdirSync(options.blobs.dir, { recursive: true });
  const db = new PgDatabase(options);
  try {
    await runPgMigrations(db, options.migrations ?? pgMigrations);
    const { rows } = await db.query<{ r: number | null }>('SELECT max(id) AS r FROM revocations');
    const events = await settleEvents(db, eventLockKeyFor(db.schema));
    const store = new PostgresHomeserverStore(db, options, { events, revocations: rows[0].r ?? 0 });
    try {
      await store.blobs.sweep();
      await store.listener.start();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
