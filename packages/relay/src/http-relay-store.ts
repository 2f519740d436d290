// In-memory state of the HTTP relay (auth-flow rendezvous, spec §7.1): inbox entries with TTL and
// ACK, and legacy link rendezvous where producer and consumer wait for each other.

import { PubkyError } from '@pubky-ts/common';

export interface RelayMessage {
  body: Buffer;
  contentType: string | undefined;
}

/** How a wait ended: a value, the timeout, the entry vanished (expired/evicted/overwritten), or shutdown. */
export type WaitOutcome<T> = { kind: 'ok'; value: T } | { kind: 'timeout' } | { kind: 'gone' } | { kind: 'closed' };

/** A pending request. `settle` is idempotent; the timer is cleared when it settles. */
export class Waiter<T> {
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  readonly promise: Promise<WaitOutcome<T>>;
  private resolveFn!: (o: WaitOutcome<T>) => void;
  /** Called once when the waiter settles, to unregister it from its entry. */
  onSettle: (() => void) | undefined;

  constructor(timeoutMs: number) {
    this.promise = new Promise((resolve) => {
      this.resolveFn = resolve;
    });
    this.timer = setTimeout(() => this.settle({ kind: 'timeout' }), timeoutMs);
  }

  get isSettled(): boolean {
    return this.settled;
  }

  settle(outcome: WaitOutcome<T>): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const cb = this.onSettle;
    this.onSettle = undefined;
    cb?.();
    this.resolveFn(outcome);
  }
}

/** More waiters on one id than the limit (answered 503 `TOO_MANY_WAITERS`). */
export class TooManyWaitersError extends PubkyError {
  declare readonly code: 'TOO_MANY_WAITERS';
  constructor() {
    super('TOO_MANY_WAITERS', 'Too many concurrent requests');
  }
}

/** The store holds as many entries as it may (answered 503 `AT_CAPACITY`). */
export class AtCapacityError extends PubkyError {
  declare readonly code: 'AT_CAPACITY';
  constructor() {
    super('AT_CAPACITY', 'Server at capacity');
  }
}

export interface HttpRelayLimits {
  /** Inbox long-poll and /await timeout (spec: 25 s). */
  inboxTimeoutMs: number;
  /** Inbox message lifetime (spec: 300 s). */
  inboxTtlMs: number;
  /** Legacy /link wait for the counterpart (spec: 600 s). */
  linkTimeoutMs: number;
  /** Waiters per id and per kind (spec: 10). */
  maxWaitersPerId: number;
  /** Entries kept at once (spec: 10 000); inbox evicts the oldest, link answers 503. */
  maxEntries: number;
}

interface InboxEntry {
  /** Set once a message was posted; null before that and after an ACK. */
  message: RelayMessage | null;
  posted: boolean;
  acked: boolean;
  expiresAt: number;
  getWaiters: Set<Waiter<RelayMessage>>;
  ackWaiters: Set<Waiter<void>>;
}

export type AckState = 'acked' | 'pending' | 'absent';

export class InboxStore {
  private readonly entries = new Map<string, InboxEntry>();

  constructor(
    private readonly limits: HttpRelayLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Live entry (posted and not expired), removing it when it expired. */
  private live(id: string): InboxEntry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.posted && e.expiresAt <= this.now()) {
      this.drop(id, e);
      return undefined;
    }
    return e;
  }

  private drop(id: string, e: InboxEntry): void {
    this.entries.delete(id);
    for (const w of [...e.getWaiters]) w.settle({ kind: 'gone' });
    for (const w of [...e.ackWaiters]) w.settle({ kind: 'gone' });
  }

  private makeRoom(): void {
    while (this.entries.size >= this.limits.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      this.drop(oldest.value, this.entries.get(oldest.value)!);
    }
  }

  private newEntry(): InboxEntry {
    return { message: null, posted: false, acked: false, expiresAt: Infinity, getWaiters: new Set(), ackWaiters: new Set() };
  }

  /** POST: store or overwrite; current GET waiters receive it, pending /await waiters are dropped. */
  post(id: string, message: RelayMessage): void {
    let e = this.live(id);
    if (e)
      this.entries.delete(id); // re-inserted below: an overwrite makes the entry the newest
    else {
      this.makeRoom();
      e = this.newEntry();
    }
    e.message = message;
    e.posted = true;
    e.acked = false;
    e.expiresAt = this.now() + this.limits.inboxTtlMs;
    this.entries.set(id, e);
    for (const w of [...e.getWaiters]) w.settle({ kind: 'ok', value: message });
    for (const w of [...e.ackWaiters]) w.settle({ kind: 'gone' });
  }

  /** GET: the message at once, or a waiter (long poll). Reading does not consume. */
  get(id: string): { message: RelayMessage } | { waiter: Waiter<RelayMessage> } {
    let e = this.live(id);
    if (e?.message) return { message: e.message };
    if (!e) {
      this.makeRoom();
      e = this.newEntry();
      this.entries.set(id, e);
    }
    if (e.getWaiters.size >= this.limits.maxWaitersPerId) throw new TooManyWaitersError();
    const entry = e;
    const w = new Waiter<RelayMessage>(this.limits.inboxTimeoutMs);
    entry.getWaiters.add(w);
    w.onSettle = () => {
      entry.getWaiters.delete(w);
      this.forgetIfIdle(id, entry);
    };
    return { waiter: w };
  }

  /** DELETE: ACK. Drops the body, wakes /await waiters. False if absent or expired. */
  ack(id: string): boolean {
    const e = this.live(id);
    if (!e || !e.posted) return false;
    e.acked = true;
    e.message = null;
    for (const w of [...e.ackWaiters]) w.settle({ kind: 'ok', value: undefined });
    return true;
  }

  ackState(id: string): AckState {
    const e = this.live(id);
    if (!e || !e.posted) return 'absent';
    return e.acked ? 'acked' : 'pending';
  }

  /** GET /await: 'acked' at once, 'absent', or a waiter for the ACK. */
  awaitAck(id: string): 'acked' | 'absent' | Waiter<void> {
    const e = this.live(id);
    if (!e || !e.posted) return 'absent';
    if (e.acked) return 'acked';
    if (e.ackWaiters.size >= this.limits.maxWaitersPerId) throw new TooManyWaitersError();
    const w = new Waiter<void>(this.limits.inboxTimeoutMs);
    e.ackWaiters.add(w);
    w.onSettle = () => {
      e.ackWaiters.delete(w);
    };
    return w;
  }

  /** An entry that only held waiters (nothing posted) disappears with its last waiter. */
  private forgetIfIdle(id: string, e: InboxEntry): void {
    if (!e.posted && e.getWaiters.size === 0 && e.ackWaiters.size === 0 && this.entries.get(id) === e) {
      this.entries.delete(id);
    }
  }

  /** Removes expired entries (their waiters get 'gone'). Returns how many were removed. */
  sweep(): number {
    const t = this.now();
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.posted && e.expiresAt <= t) {
        this.drop(id, e);
        n++;
      }
    }
    return n;
  }

  close(): void {
    for (const e of this.entries.values()) {
      for (const w of [...e.getWaiters]) w.settle({ kind: 'closed' });
      for (const w of [...e.ackWaiters]) w.settle({ kind: 'closed' });
    }
    this.entries.clear();
  }
}

interface LinkProducer {
  message: RelayMessage;
  waiter: Waiter<void>;
}

interface LinkEntry {
  producers: LinkProducer[];
  consumers: Waiter<RelayMessage>[];
}

/** Legacy /link/<id>: a producer blocks until a consumer takes its message, and vice versa. */
export class LinkStore {
  private readonly entries = new Map<string, LinkEntry>();

  constructor(private readonly limits: HttpRelayLimits) {}

  get size(): number {
    return this.entries.size;
  }

  private entry(id: string): LinkEntry {
    let e = this.entries.get(id);
    if (!e) {
      if (this.entries.size >= this.limits.maxEntries) throw new AtCapacityError();
      e = { producers: [], consumers: [] };
      this.entries.set(id, e);
    }
    return e;
  }

  private forgetIfIdle(id: string, e: LinkEntry): void {
    if (e.producers.length === 0 && e.consumers.length === 0 && this.entries.get(id) === e) this.entries.delete(id);
  }

  /** Producer: delivered at once to a waiting consumer, or a waiter settled when a consumer takes it. */
  produce(id: string, message: RelayMessage): 'delivered' | Waiter<void> {
    const e = this.entries.get(id);
    if (e) {
      while (e.consumers.length > 0) {
        const c = e.consumers.shift()!;
        if (c.isSettled) continue;
        c.settle({ kind: 'ok', value: message });
        this.forgetIfIdle(id, e);
        return 'delivered';
      }
    }
    const entry = this.entry(id);
    if (entry.producers.length >= this.limits.maxWaitersPerId) throw new TooManyWaitersError();
    const w = new Waiter<void>(this.limits.linkTimeoutMs);
    const p: LinkProducer = { message, waiter: w };
    entry.producers.push(p);
    w.onSettle = () => {
      const i = entry.producers.indexOf(p);
      if (i >= 0) entry.producers.splice(i, 1);
      this.forgetIfIdle(id, entry);
    };
    return w;
  }

  /** Consumer: takes a waiting producer's message at once, or waits for one. */
  consume(id: string): { message: RelayMessage } | { waiter: Waiter<RelayMessage> } {
    const e = this.entries.get(id);
    if (e && e.producers.length > 0) {
      const p = e.producers[0];
      p.waiter.settle({ kind: 'ok', value: undefined }); // its onSettle removes it from the queue
      return { message: p.message };
    }
    const entry = this.entry(id);
    if (entry.consumers.length >= this.limits.maxWaitersPerId) throw new TooManyWaitersError();
    const w = new Waiter<RelayMessage>(this.limits.linkTimeoutMs);
    entry.consumers.push(w);
    w.onSettle = () => {
      const i = entry.consumers.indexOf(w);
      if (i >= 0) entry.consumers.splice(i, 1);
      this.forgetIfIdle(id, entry);
    };
    return { waiter: w };
  }

  close(): void {
    for (const e of this.entries.values()) {
      for (const p of [...e.producers]) p.waiter.settle({ kind: 'closed' });
      for (const c of [...e.consumers]) c.settle({ kind: 'closed' });
    }
    this.entries.clear();
  }
}
