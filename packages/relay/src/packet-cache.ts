// The relay's packet cache: SQLite (survives restarts; storage form last_seen ‖ canonical, spec §2.1)
// behind an in-memory front that holds ready-to-send responses for hot keys.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nowMicros, type PublicKey, z32Encode } from '@pubky-ts/common';
import { formatHttpDate } from '@pubky-ts/pkarr';
import { packetTtl, parseCanonical, type RelayPacket } from './relay-packet.ts';

export const PKARR_PAYLOAD_CONTENT_TYPE = 'application/pkarr.org/relays#payload';

export interface PacketCacheOptions {
  /** Directory of the SQLite file; omitted ⇒ an in-memory database (lost on close). */
  dir?: string;
  /** Packets kept in SQLite (reference default 1 000 000). */
  size?: number;
  /** Entries kept in the in-memory front. */
  memorySize?: number;
  minimumTtl?: number;
  maximumTtl?: number;
  /** Extra headers sent with every 200 (CORS), pre-encoded into each entry. */
  extraHeaders?: string[];
}

/** A cached packet with everything a GET answer needs, computed once. */
export class CacheEntry {
  readonly ttl: number;
  readonly payload: Uint8Array;
  readonly lastModified: string;
  readonly etag: string;
  /** Flat [name, value, …] list for writeHead(200). */
  readonly headers: string[];
  /** Headers of a 304 answer. */
  readonly notModifiedHeaders: string[];

  constructor(
    readonly packet: RelayPacket,
    /** µs, local metadata: when the relay last received this packet. */
    readonly lastSeen: number,
    minTtl: number,
    maxTtl: number,
    extraHeaders: string[],
  ) {
    this.ttl = packetTtl(packet, minTtl, maxTtl);
    this.payload = packet.bytes.subarray(32);
    this.lastModified = formatHttpDate(packet.timestamp);
    this.etag = `"${packet.timestamp}"`;
    const cacheControl = `public, max-age=${this.ttl}`;
    this.notModifiedHeaders = ['Cache-Control', cacheControl, 'Last-Modified', this.lastModified, 'ETag', this.etag, ...extraHeaders];
    this.headers = [
      'Content-Type',
      PKARR_PAYLOAD_CONTENT_TYPE,
      'Content-Length',
      String(this.payload.length),
      'Memento-Datetime',
      formatHttpDate(lastSeen),
      ...this.notModifiedHeaders,
    ];
  }

  /** Seconds left before this entry is stale (spec §2.4: ttl − (now − last_seen), saturating). */
  expiresIn(nowUs: number = Date.now() * 1000): number {
    const elapsed = Math.max(0, Math.floor((nowUs - this.lastSeen) / 1_000_000));
    return Math.max(0, this.ttl - elapsed);
  }

  isExpired(nowUs?: number): boolean {
    return this.expiresIn(nowUs) === 0;
  }
}

function encodeStorage(lastSeen: number, canonical: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(8 + canonical.length);
  out.writeUInt32BE(Math.floor(lastSeen / 0x1_0000_0000), 0);
  out.writeUInt32BE(lastSeen >>> 0, 4);
  out.set(canonical, 8);
  return out;
}

export class PacketCache {
  private readonly db: Database.Database;
  private readonly mem = new Map<string, CacheEntry>();
  private readonly size: number;
  private readonly memorySize: number;
  readonly minimumTtl: number;
  readonly maximumTtl: number;
  private readonly extraHeaders: string[];
  private count: number;
  private readonly stmt: {
    get: Database.Statement<[Buffer], { value: Buffer }>;
    put: Database.Statement<[Buffer, Buffer, number]>;
    touch: Database.Statement<[number, Buffer]>;
    del: Database.Statement<[Buffer]>;
    oldest: Database.Statement<[number], { key: Buffer }>;
    count: Database.Statement<[], { n: number }>;
  };

  constructor(opts: PacketCacheOptions = {}) {
    this.size = opts.size ?? 1_000_000;
    this.memorySize = Math.max(1, opts.memorySize ?? 10_000);
    this.minimumTtl = opts.minimumTtl ?? 300;
    this.maximumTtl = opts.maximumTtl ?? 86_400;
    this.extraHeaders = opts.extraHeaders ?? [];
    let file = ':memory:';
    if (opts.dir) {
      mkdirSync(opts.dir, { recursive: true });
      file = join(opts.dir, 'pkarr-relay-cache.sqlite');
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS packets (
      key BLOB PRIMARY KEY NOT NULL,
      value BLOB NOT NULL,
      accessed INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS packets_accessed ON packets (accessed);`);
    this.stmt = {
      get: this.db.prepare('SELECT value FROM packets WHERE key = ?'),
      put: this.db.prepare(
        'INSERT INTO packets (key, value, accessed) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, accessed = excluded.accessed',
      ),
      touch: this.db.prepare('UPDATE packets SET accessed = ? WHERE key = ?'),
      del: this.db.prepare('DELETE FROM packets WHERE key = ?'),
      oldest: this.db.prepare('SELECT key FROM packets ORDER BY accessed LIMIT ?'),
      count: this.db.prepare('SELECT count(*) AS n FROM packets'),
    };
    this.count = this.stmt.count.get()!.n;
  }

  /** Packets stored in SQLite. */
  get storedCount(): number {
    return this.count;
  }

  /** Hot path: in-memory lookup by canonical z32, no I/O. */
  peek(z32: string): CacheEntry | undefined {
    return this.mem.get(z32);
  }

  /** Memory, then SQLite (the loaded entry is re-verified and moves into the memory front). */
  get(key: PublicKey): CacheEntry | undefined {
    const hot = this.mem.get(key.z32);
    if (hot) return hot;
    const keyBuf = Buffer.from(key.bytes);
    const row = this.stmt.get.get(keyBuf);
    if (!row) return undefined;
    const entry = this.decode(key, row.value);
    if (!entry) {
      this.stmt.del.run(keyBuf);
      this.count = Math.max(0, this.count - 1);
      return undefined;
    }
    this.stmt.touch.run(Date.now(), keyBuf);
    this.remember(entry);
    return entry;
  }

  private decode(key: PublicKey, value: Buffer): CacheEntry | undefined {
    if (value.length < 8 + 104) return undefined;
    let lastSeen = value.readUInt32BE(0) * 0x1_0000_0000 + value.readUInt32BE(4);
    // Spec §2.1: a last_seen more than 60 s in the future is reset to 0.
    if (lastSeen > Date.now() * 1000 + 60_000_000) lastSeen = 0;
    try {
      const packet = parseCanonical(new Uint8Array(value.subarray(8)), key);
      return new CacheEntry(packet, lastSeen, this.minimumTtl, this.maximumTtl, this.extraHeaders);
    } catch {
      return undefined;
    }
  }

  private remember(entry: CacheEntry): void {
    const z = entry.packet.key.z32;
    this.mem.delete(z);
    this.mem.set(z, entry);
    if (this.mem.size > this.memorySize) this.mem.delete(this.mem.keys().next().value as string);
  }

  /** Stores a packet (the caller decided it is not older than what is cached). */
  put(packet: RelayPacket, lastSeen: number = nowMicros()): CacheEntry {
    const entry = new CacheEntry(packet, lastSeen, this.minimumTtl, this.maximumTtl, this.extraHeaders);
    const keyBuf = Buffer.from(packet.key.bytes);
    const existed = this.mem.has(packet.key.z32) || this.stmt.get.get(keyBuf) !== undefined;
    this.stmt.put.run(keyBuf, encodeStorage(lastSeen, packet.bytes), Date.now());
    if (!existed) {
      this.count++;
      if (this.count > this.size) this.evict(Math.max(1, Math.ceil(this.size / 100)));
    }
    this.remember(entry);
    return entry;
  }

  /** Drops the least recently accessed packets (LRU-ish: memory hits do not update `accessed`). */
  private evict(n: number): void {
    const victims = this.stmt.oldest.all(n);
    const tx = this.db.transaction(() => {
      for (const v of victims) this.stmt.del.run(v.key);
    });
    tx();
    for (const v of victims) {
      this.mem.delete(z32Encode(new Uint8Array(v.key)));
    }
    this.count = Math.max(0, this.count - victims.length);
  }

  close(): void {
    this.mem.clear();
    if (this.db.open) this.db.close();
  }
}
