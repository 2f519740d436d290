import pg from 'pg';
import type { ClientConfig } from 'pg';

export interface PgListenerOptions {
  config: ClientConfig;
  channels: string[];
  /** A NOTIFY arrived on `channel`. */
  onNotify(channel: string): void;
  /** (Re)connected and listening: whatever was sent while disconnected is unknown, so poll now. */
  onListening(): void;
  /** First reconnect delay; doubles up to `maxBackoffMs` (defaults 250 / 5000 ms). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A dedicated connection that LISTENs on a few channels and reconnects (with backoff) whenever it
 * drops. Its errors never escape: a notification is only a wake-up hint; the callers poll by id.
 */
export class PgListener {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private backoff: number;
  private stopped = false;
  /** Connections made so far (1 after the first start); for tests and metrics. */
  connects = 0;
  listening = false;

  constructor(private readonly options: PgListenerOptions) {
    this.backoff = options.minBackoffMs ?? 250;
  }

  /** Connects once; on failure keeps retrying in the background. Resolves either way. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.options.config);
    this.client = client;
    let failed = false;
    const onDrop = () => {
      if (failed) return;
      failed = true;
      this.listening = false;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', onDrop);
    client.on('end', onDrop);
    client.on('notification', (msg) => {
      try {
        this.options.onNotify(msg.channel);
      } catch {
        // a broken callback must not kill the connection
      }
    });
    try {
      await client.connect();
      for (const ch of this.options.channels) await client.query(`LISTEN ${pg.escapeIdentifier(ch)}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.connects++;
      this.listening = true;
      this.backoff = this.options.minBackoffMs ?? 250;
      this.options.onListening();
    } catch {
      onDrop();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 5000);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }

  /** The backend pid of the listening connection (tests kill it to simulate a drop). */
  get processId(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    this.listening = false;
    if (c) {
      c.removeAllListeners('end');
      c.removeAllListeners('notification');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
