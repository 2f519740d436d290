import { nowMicros, type PublicKey } from '@pubky-ts/common';
import { homeserverOf, SignedPacket, type Pkarr } from '@pubky-ts/pkarr';
import type { UserPacketStore } from '../storage/types.ts';

export type RepublishOutcome =
  | { kind: 'published'; storedAt: number; fromCustody: boolean }
  | { kind: 'skipped'; reason: string }
  | { kind: 'missing' }
  | { kind: 'failed'; error: string };

export interface RepublishSummary {
  published: number;
  skipped: number;
  missing: number;
  failed: number;
}

export interface UserRepublisherOptions {
  packets: UserPacketStore;
  pkarr: Pkarr;
  homeserver: PublicKey;
  /** Between runs (the reference: 4 h, at least 30 min). */
  intervalMs: number;
  /** Before the first run (the reference: 60 s). */
  initialDelayMs?: number;
  concurrency?: number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * Keeps every user's record alive. Unlike the reference it holds each user's newest signed packet
 * (custody), so a record the network has forgotten after a long outage is published again from the
 * copy; and it records, per user, whether the network still served the record (visibility).
 * Only users whose `_pubky` record points to this homeserver are republished.
 */
export class UserRepublisher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RepublishSummary> | null = null;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: UserRepublisherOptions) {}

  start(): void {
    const schedule = (ms: number) => {
      if (this.closed) return;
      this.timer = setTimeout(async () => {
        try {
          const summary = await this.runOnce();
          this.options.log?.info({ ...summary }, 'user packets republished');
        } catch (e) {
          this.options.log?.warn({ err: e }, 'user republish run failed');
        }
        schedule(this.options.intervalMs);
      }, ms);
      this.timer.unref();
    };
    schedule(this.options.initialDelayMs ?? 60_000);
  }

  /** One pass over every registered user; concurrent calls share the pass. */
  runOnce(): Promise<RepublishSummary> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<RepublishSummary> {
    const summary: RepublishSummary = { published: 0, skipped: 0, missing: 0, failed: 0 };
    const concurrency = this.options.concurrency ?? 12;
    let after: string | null = null;
    for (;;) {
      if (this.closed) break;
      const users = await this.options.packets.listUsers({ limit: 256, after });
      if (users.length === 0) break;
      after = users[users.length - 1];
      let next = 0;
      const worker = async () => {
        while (next < users.length && !this.closed) {
          const outcome = await this.republishUser(users[next++]);
          summary[outcome.kind]++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
    }
    return summary;
  }

  /** Resolves the user's newest packet (network and custody), keeps it, and publishes it unchanged. */
  async republishUser(user: string): Promise<RepublishOutcome> {
    const { packets, pkarr, homeserver } = this.options;
    const signal = this.abort.signal;
    let network: SignedPacket | null = null;
    let networkError: string | null = null;
    try {
      network = await pkarr.resolve(user, { policy: 'NetworkOnly', signal });
    } catch (e) {
      networkError = (e as Error).message;
    }
    const custody = await packets.get(user);
    let stored: SignedPacket | null = null;
    if (custody) {
      try {
        stored = SignedPacket.fromBytes(custody.packet);
      } catch {
        stored = null; // a row we cannot read any more is replaced by whatever the network has
      }
    }
    const newest = network && (!stored || !stored.moreRecentThan(network)) ? network : stored;
    const checkedAt = nowMicros();
    if (!newest) {
      return { kind: 'missing' };
    }
    await packets.save(user, newest.bytes, newest.timestamp);
    const visibleDht = network !== null && !newest.moreRecentThan(network);
    const target = homeserverOf(newest);
    if (!target || !target.equals(homeserver)) {
      await packets.report(user, { lastCheckedAt: checkedAt, visibleDht, lastError: networkError });
      return { kind: 'skipped', reason: target ? `points to ${target.z32}` : 'no _pubky record' };
    }
    try {
      const storedAt = await pkarr.publish(newest, { signal });
      await packets.report(user, {
        lastCheckedAt: checkedAt,
        visibleDht,
        lastPublishedAt: nowMicros(),
        lastStoredAt: storedAt,
        lastError: null,
      });
      return { kind: 'published', storedAt, fromCustody: newest === stored };
    } catch (e) {
      const error = (e as Error).message;
      await packets.report(user, { lastCheckedAt: checkedAt, visibleDht, lastError: error });
      return { kind: 'failed', error };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }
}
