import { randomUUID } from 'node:crypto';
import { Pkarr } from '@pubky-ts/pkarr';
import type { Keypair } from '@pubky-ts/common';
import type { HomeserverConfig } from '../config/config.ts';
import type { HomeserverStore } from '../storage/types.ts';
import { MirrorFollower, statusOfRecord, type FollowerLog, type MirrorStatus } from './follower.ts';
import type { MirrorRecord, MirrorStore, NewMirror } from './mirror-store.ts';
import { PrimaryResolver } from './primary.ts';
import { SealedMirrorStore } from './sealed-mirror-store.ts';

/** How long a process holds a mirror's lease without renewing it, and how often it renews (ms). */
const LEASE_MS = 30_000;
const RECONCILE_MS = 10_000;
export const MIRROR_BACKOFF_MIN_MS = 200;
export const MIRROR_BACKOFF_MAX_MS = 10_000;

/** What the mirror service is built from (the composition root passes its own deps). */
export interface MirrorServiceDeps {
  config: HomeserverConfig;
  keypair: Keypair;
  store: HomeserverStore;
  log: FollowerLog;
  /** µs */
  nowMicros: () => number;
}

/**
 * Runs the followers of every mirrored user. Each row of `mirrors` is followed by exactly one process:
 * the one holding its lease (renewed every 10 s, 30 s long, given up on close). A SQLite database
 * belongs to one process, which holds every lease under a fixed name (so a crash never delays the
 * restart); PostgreSQL processes get a name each and share the rows.
 */
export class MirrorService {
  /** The store's mirror rows, their grants and bearers sealed with a key derived from this homeserver's. */
  readonly mirrors: MirrorStore;
  private readonly owner: string;
  private readonly followers = new Map<string, MirrorFollower>();
  private resolver: PrimaryResolver | null = null;
  private ownPkarr: Pkarr | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly deps: MirrorServiceDeps) {
    this.mirrors = new SealedMirrorStore(deps.store.mirrors, deps.keypair.secretKey);
    this.owner = deps.store.singleProcess ? 'local' : `${deps.keypair.publicKey.z32.slice(0, 8)}-${randomUUID()}`;
  }

  private nowMicros(): number {
    return this.deps.nowMicros();
  }

  /**
   * Resolves primaries through `pkarr` (the publisher's client, with its DHT node and relays) when
   * given; otherwise through a relay-only client of `pkdns.dht_relay_nodes`, made on first use.
   */
  primaryResolver(pkarr?: Pkarr): PrimaryResolver {
    if (!this.resolver) {
      let client = pkarr;
      if (!client) {
        client = this.ownPkarr = new Pkarr({
          relays: this.deps.config.pkdns.dhtRelayNodes,
          requestTimeoutMs: this.deps.config.pkdns.dhtRequestTimeoutMs ?? undefined,
        });
      }
      this.resolver = new PrimaryResolver(client, this.deps.keypair);
    }
    return this.resolver;
  }

  /** Starts the followers of every mirrored user and the lease loop. `publisher` may carry a pkarr client. */
  async start(publisher?: unknown): Promise<void> {
    if (this.closed) return;
    const pkarr = (publisher as { pkarr?: unknown } | undefined)?.pkarr;
    this.primaryResolver(pkarr instanceof Pkarr ? pkarr : undefined);
    await this.reconcile();
    this.timer = setInterval(() => {
      this.reconcile().catch((err) => this.deps.log.warn({ err }, 'mirror reconcile failed'));
    }, RECONCILE_MS);
    this.timer.unref();
  }

  /** Claims, renews and starts followers as the table says; stops those whose row is gone or replaced. */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return;
    const rows = await this.mirrors.list();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.user);
      await this.ensure(row);
    }
    for (const [user, f] of this.followers) {
      if (!seen.has(user)) {
        this.followers.delete(user);
        await f.stop();
      }
    }
  }

  /** Runs (or stops) the follower of one row according to its lease. */
  private async ensure(row: MirrorRecord): Promise<void> {
    if (this.closed) return;
    const now = this.nowMicros();
    let f = this.followers.get(row.user);
    if (f && (f.generation !== row.generation || !f.running)) {
      this.followers.delete(row.user);
      await f.stop();
      f = undefined;
    }
    const held = await this.mirrors.claim(row.user, row.generation, this.owner, now + LEASE_MS * 1000, now);
    if (!held) {
      if (f) {
        this.followers.delete(row.user);
        await f.stop();
      }
      return;
    }
    if (!f && !this.closed) {
      f = new MirrorFollower(
        {
          store: this.deps.store,
          mirrors: this.mirrors,
          resolver: this.primaryResolver(),
          log: this.deps.log,
          nowMicros: () => this.nowMicros(),
          backoffMinMs: MIRROR_BACKOFF_MIN_MS,
          backoffMaxMs: MIRROR_BACKOFF_MAX_MS,
          maxFileBytes: this.deps.config.drive.maxFileBytes,
        },
        row,
      );
      this.followers.set(row.user, f);
      f.start();
    }
  }

  /** Saves a (new or replaced) mirror and starts following it here. */
  async put(m: NewMirror): Promise<MirrorRecord | null> {
    const old = this.followers.get(m.user);
    if (old) {
      this.followers.delete(m.user);
      await old.stop();
    }
    const rec = await this.mirrors.put(m, this.nowMicros());
    if (rec) await this.ensure(rec);
    return rec;
  }

  async delete(user: string): Promise<boolean> {
    const f = this.followers.get(user);
    if (f) {
      this.followers.delete(user);
      await f.stop();
    }
    return this.mirrors.delete(user);
  }

  async get(user: string): Promise<MirrorRecord | null> {
    return this.mirrors.get(user);
  }

  /** The status of a row: live figures from the follower when it runs here, else what the table holds. */
  statusOf(row: MirrorRecord): MirrorStatus {
    const f = this.followers.get(row.user);
    if (f && f.generation === row.generation) return f.status();
    return statusOfRecord(row, this.nowMicros());
  }

  async statuses(): Promise<MirrorStatus[]> {
    return (await this.mirrors.list()).map((r) => this.statusOf(r));
  }

  /** Stops every follower and gives up the leases (another process may take over at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.reconciling?.catch(() => undefined);
    const all = [...this.followers.values()];
    this.followers.clear();
    await Promise.allSettled(all.map((f) => f.stop()));
    await this.mirrors.release(this.owner).catch((err) => this.deps.log.warn({ err }, 'mirror leases not released'));
    await this.ownPkarr?.close();
  }
}
