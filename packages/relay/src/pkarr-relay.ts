// The pkarr relay (spec §6): HTTP ⇄ Mainline DHT gateway with a persistent packet cache.
// Plain node:http; the cached GET path does a map lookup and writes pre-encoded headers and bytes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PublicKey, PubkyError } from '@pubky-ts/common';
import {
  CAS_FAILED_CODES,
  dhtUnavailableText,
  NOT_MOST_RECENT_CODES,
  startRelayDhtNode,
  type DhtBackend,
  type RelayDhtNodeOptions,
} from './dht-backend.ts';
import { formatHttpDate, parseHttpDate } from '@pubky-ts/pkarr';
import { BodyTooLargeError, declaredLengthExceeds, readBody, sendTooLarge, serverUrl } from './http-util.ts';
import { CacheEntry, PacketCache } from './packet-cache.ts';
import { RateLimiter, type Quota } from './rate-limiter.ts';
import {
  MAX_CANONICAL_BYTES,
  moreRecentThan,
  packetFromMutableItem,
  parseRelayPayload,
  type RelayPacket,
} from './relay-packet.ts';

export const PKARR_RELAY_TESTNET_PORT = 15411;
export const HEADER_INVALID_SEQ = 'Pkarr-Invalid-Signed-Packet-Seq';
export const HEADER_STORED_NODES = 'Pkarr-Dht-Stored-Nodes';

export type ResolvePolicy = 'CacheOnly' | 'CacheFirst' | 'NetworkOnly';

export interface RelayRateLimitOptions {
  /** Trust X-Forwarded-For / X-Real-IP for the client address. */
  behindProxy?: boolean;
  /** Every HTTP request, per IP (reference default 2 r/s). */
  quota?: Quota;
  /** Requests that cause DHT work (PUT, GET miss/expired/NetworkOnly), per IP (default 2 r/s). */
  userDhtQuota?: Quota;
}

/** The reference binary's defaults; testnets and `startPkarrRelay` without `rateLimit` use none. */
export const DEFAULT_RELAY_RATE_LIMIT: RelayRateLimitOptions = {
  behindProxy: false,
  quota: { rate: 2, burst: 2 },
  userDhtQuota: { rate: 2, burst: 2 },
};

export interface PkarrRelayOptions {
  /** TCP port; 0 (default) picks a free one. The testnet uses 15411. */
  port?: number;
  host?: string;
  /**
   * The DHT behind the relay: a backend (e.g. a running `DhtNode`, not closed by the relay), or
   * `{ bootstrap, … }` to start the relay's own server-mode node (closed with the relay), or
   * false/omitted ⇒ cache only (PUT stores locally and answers `Pkarr-Dht-Stored-Nodes: 0`).
   */
  dht?: DhtBackend | RelayDhtNodeOptions | false;
  /** Directory of the SQLite cache; omitted ⇒ in-memory (gone on close). */
  cacheDir?: string;
  cacheSize?: number;
  memoryCacheSize?: number;
  minimumTtl?: number;
  maximumTtl?: number;
  /** Off by default (testnets); pass DEFAULT_RELAY_RATE_LIMIT for the reference's public defaults. */
  rateLimit?: RelayRateLimitOptions | false;
  /** Upper bound on one DHT lookup, after which what arrived is used (default 10 s). */
  lookupTimeoutMs?: number;
  /** Permissive CORS as the reference (default true). */
  cors?: boolean;
}

export interface PkarrRelayHandle {
  url: string;
  port: number;
  server: Server;
  cache: PacketCache;
  /** The DHT in use (the relay's own node when it started one), null when cache-only. */
  dht: DhtBackend | null;
  close(): Promise<void>;
}

const CORS_RESPONSE_HEADERS = [
  'Access-Control-Allow-Origin', '*',
  'Access-Control-Expose-Headers',
  `${HEADER_INVALID_SEQ}, ${HEADER_STORED_NODES}, Memento-Datetime, Last-Modified, ETag, Retry-After`,
];

function parsePolicy(query: string): ResolvePolicy | undefined {
  const p = new URLSearchParams(query).get('policy');
  if (p === null) return 'CacheFirst';
  if (p === 'CacheOnly' || p === 'CacheFirst' || p === 'NetworkOnly') return p;
  return undefined; // invalid
}

/** Outcome of one DHT lookup for a key, shared by concurrent requests. */
class DhtLookup {
  best: RelayPacket | null = null;
  maxInvalidSeq = -1;
  error: unknown = null;
  readonly first: Promise<RelayPacket | null>;
  readonly done: Promise<void>;
  private resolveFirst!: (p: RelayPacket | null) => void;
  private readonly controller = new AbortController();

  constructor(
    dht: DhtBackend,
    readonly key: PublicKey,
    readonly floor: RelayPacket | undefined,
    timeoutMs: number,
    onPacket: (p: RelayPacket) => void,
  ) {
    this.first = new Promise((r) => (this.resolveFirst = r));
    this.done = this.run(dht, timeoutMs, onPacket).finally(() => this.resolveFirst(this.best));
  }

  /** Stops the lookup (relay shutdown). */
  abort(): void {
    this.controller.abort();
  }

  private async run(dht: DhtBackend, timeoutMs: number, onPacket: (p: RelayPacket) => void): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
      this.controller.signal.addEventListener('abort', () => r('timeout'), { once: true });
    });
    let it: AsyncIterator<{ key: Uint8Array; seq: number; value: Uint8Array; signature: Uint8Array }> | undefined;
    try {
      const opts = this.floor ? { seq: this.floor.timestamp - 1 } : undefined;
      it = dht.getMutable(this.key.bytes, { ...opts, signal: this.controller.signal })[Symbol.asyncIterator]();
      for (;;) {
        const r = await Promise.race([it.next(), timedOut]);
        if (r === 'timeout' || r.done) break;
        const item = r.value;
        let p: RelayPacket;
        try {
          p = packetFromMutableItem(this.key, item);
        } catch {
          if (Number.isSafeInteger(item.seq) && item.seq > this.maxInvalidSeq) this.maxInvalidSeq = item.seq;
          continue;
        }
        if (this.floor && moreRecentThan(this.floor, p)) continue;
        if (!this.best || moreRecentThan(p, this.best)) {
          this.best = p;
          onPacket(p);
          this.resolveFirst(p);
        }
      }
    } catch (e) {
      this.error = e;
    } finally {
      clearTimeout(timer);
      this.controller.abort();
      // Do not wait: a generator suspended on a slow network call finishes on its own.
      void it?.return?.()?.catch(() => {});
    }
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isBackend(d: DhtBackend | RelayDhtNodeOptions): d is DhtBackend {
  return typeof (d as DhtBackend).getMutable === 'function';
}

export async function startPkarrRelay(options: PkarrRelayOptions = {}): Promise<PkarrRelayHandle> {
  let ownNode: (DhtBackend & { close(): Promise<void> }) | null = null;
  let dht: DhtBackend | null = null;
  if (options.dht) {
    if (isBackend(options.dht)) dht = options.dht;
    else dht = ownNode = await startRelayDhtNode(options.dht);
  }
  try {
    return await listenRelay(options, dht, ownNode);
  } catch (e) {
    await ownNode?.close();
    throw e;
  }
}

function listenRelay(
  options: PkarrRelayOptions,
  dht: DhtBackend | null,
  ownNode: { close(): Promise<void> } | null,
): Promise<PkarrRelayHandle> {
  const cors = options.cors ?? true;
  const extraHeaders = cors ? CORS_RESPONSE_HEADERS : [];
  const cache = new PacketCache({
    dir: options.cacheDir,
    size: options.cacheSize,
    memorySize: options.memoryCacheSize,
    minimumTtl: options.minimumTtl,
    maximumTtl: options.maximumTtl,
    extraHeaders,
  });
  const lookupTimeoutMs = options.lookupTimeoutMs ?? 10_000;
  const rl = options.rateLimit || null;
  const requestLimiter = rl?.quota ? new RateLimiter(rl.quota) : null;
  const dhtLimiter = rl?.userDhtQuota ? new RateLimiter(rl.userDhtQuota) : null;
  const lookups = new Map<string, DhtLookup>();
  const startedAt = Date.now();
  let closed = false;

  function clientIp(req: IncomingMessage): string {
    if (rl?.behindProxy) {
      const xff = req.headers['x-forwarded-for'];
      const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
      if (first) return first;
      const real = req.headers['x-real-ip'];
      if (typeof real === 'string' && real) return real.trim();
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  /** True (and answers 429) when `limiter` refuses this client. */
  function limited(limiter: RateLimiter | null, req: IncomingMessage, res: ServerResponse): boolean {
    if (!limiter) return false;
    const wait = limiter.take(clientIp(req));
    if (wait === 0) return false;
    fail(res, 429, `Too many requests, retry in ${wait} s`, ['Retry-After', String(wait)]);
    return true;
  }

  function fail(res: ServerResponse, status: number, text: string, headers: string[] = []): void {
    if (res.headersSent || res.destroyed) return;
    const body = Buffer.from(text, 'utf8');
    res.writeHead(status, [
      'Content-Type', 'text/plain; charset=utf-8',
      'Content-Length', String(body.length),
      ...headers,
      ...extraHeaders,
    ]);
    res.end(body);
  }

  function serve(req: IncomingMessage, res: ServerResponse, entry: CacheEntry): void {
    const ims = req.headers['if-modified-since'];
    if (ims !== undefined) {
      const t = parseHttpDate(ims);
      // Spec §6.2/§10.9: IMS has whole-second precision; compare with the packet's full µs.
      if (t !== null && entry.packet.timestamp <= t) {
        res.writeHead(304, entry.notModifiedHeaders);
        res.end();
        return;
      }
    }
    res.writeHead(200, entry.headers);
    res.end(entry.payload);
  }

  /** Stores `p` unless the cache already holds a more recent packet; answers the cache's entry. */
  function remember(p: RelayPacket): CacheEntry {
    const current = cache.get(p.key);
    if (current && moreRecentThan(current.packet, p)) return current;
    return cache.put(p);
  }

  function parseKey(res: ServerResponse, keyPart: string): PublicKey | null {
    let text: string;
    try {
      text = decodeURIComponent(keyPart);
    } catch {
      fail(res, 400, 'Invalid public key: bad percent-encoding');
      return null;
    }
    try {
      return PublicKey.parse(text);
    } catch (e) {
      fail(res, 400, `Invalid public key: ${errText(e)}`);
      return null;
    }
  }

  function startLookup(key: PublicKey, floor: RelayPacket | undefined, policy: ResolvePolicy): DhtLookup {
    const id = `${key.z32}|${policy}|${floor?.timestamp ?? ''}`;
    let l = lookups.get(id);
    if (l) return l;
    l = new DhtLookup(dht!, key, floor, lookupTimeoutMs, (p) => {
      if (!closed) remember(p);
    });
    lookups.set(id, l);
    const mine = l;
    void l.done.then(() => {
      if (lookups.get(id) === mine) lookups.delete(id);
    });
    return l;
  }

  async function resolveFromDht(
    req: IncomingMessage,
    res: ServerResponse,
    key: PublicKey,
    cached: CacheEntry | undefined,
    policy: ResolvePolicy,
  ): Promise<void> {
    const floor = policy === 'NetworkOnly' ? undefined : cached?.packet;
    const lookup = startLookup(key, floor, policy);
    if (policy === 'CacheFirst') await lookup.first;
    else await lookup.done;
    if (closed) return fail(res, 503, 'Relay shutting down');
    const cachedTs = cached?.packet.timestamp ?? -1;
    // Spec §4.6: once the lookup is complete, a higher-seq invalid item supersedes older valid packets.
    const supersededByInvalid = () =>
      lookup.maxInvalidSeq > cachedTs && (!lookup.best || lookup.maxInvalidSeq > lookup.best.timestamp);
    if (lookup.best && (policy === 'CacheFirst' || !supersededByInvalid())) {
      const entry = cache.get(key);
      if (entry) return serve(req, res, entry);
    }
    await lookup.done;
    if (supersededByInvalid()) {
      return fail(res, 404, `Not found: the newest DHT item (seq ${lookup.maxInvalidSeq}) is not a valid signed packet`, [
        HEADER_INVALID_SEQ, String(lookup.maxInvalidSeq),
      ]);
    }
    if (lookup.error) {
      const code = lookup.error instanceof PubkyError ? lookup.error.code : undefined;
      const text = dhtUnavailableText(code);
      if (text) return fail(res, 503, text);
      return fail(res, 503, `DHT lookup failed: ${errText(lookup.error)}`);
    }
    return fail(res, 404, 'Not found');
  }

  function onGet(req: IncomingMessage, res: ServerResponse, url: string): void {
    const q = url.indexOf('?');
    const keyPart = q < 0 ? url.slice(1) : url.slice(1, q);
    let policy: ResolvePolicy = 'CacheFirst';
    if (q >= 0) {
      const p = parsePolicy(url.slice(q + 1));
      if (p === undefined) {
        return fail(res, 400, 'Invalid policy: expected CacheOnly, CacheFirst or NetworkOnly');
      }
      policy = p;
    }
    let entry = cache.peek(keyPart);
    if (entry === undefined) {
      if (keyPart.includes('/')) return fail(res, 404, 'Not found');
      const key = parseKey(res, keyPart);
      if (!key) return;
      entry = cache.get(key);
      if (entry === undefined) {
        if (policy === 'CacheOnly' || !dht) return fail(res, 404, 'Not found');
        if (limited(dhtLimiter, req, res)) return;
        void resolveFromDht(req, res, key, undefined, policy).catch((e) => fail(res, 500, `Internal error: ${errText(e)}`));
        return;
      }
    }
    if (policy === 'CacheOnly' || !dht || (policy === 'CacheFirst' && !entry.isExpired())) {
      if (policy === 'CacheFirst' && !dht && entry.isExpired()) return fail(res, 404, 'Not found');
      return serve(req, res, entry);
    }
    if (limited(dhtLimiter, req, res)) return;
    const e = entry;
    void resolveFromDht(req, res, e.packet.key, e, policy).catch((err) => fail(res, 500, `Internal error: ${errText(err)}`));
  }

  /** Checks If-Match: undefined = passes with no CAS, number = passes with that CAS seq; answers 412/400 itself. */
  function checkIfMatch(res: ServerResponse, header: string, cached: CacheEntry | undefined): number | null | undefined {
    // An HTTP-date contains a comma itself, so try the whole value as one date first.
    const candidates = parseHttpDate(header) !== null ? [header.trim()] : header.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (candidates.length === 0) {
      fail(res, 400, 'Invalid If-Match: empty');
      return null;
    }
    let matched = false;
    for (const c of candidates) {
      if (c === '*') {
        matched ||= cached !== undefined;
        continue;
      }
      const unq = c.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
      if (/^\d{1,16}$/.test(unq)) {
        matched ||= cached !== undefined && cached.packet.timestamp === Number(unq);
        continue;
      }
      const t = parseHttpDate(unq);
      if (t === null) {
        fail(res, 400, `Invalid If-Match ${JSON.stringify(c.slice(0, 64))}: expected a decimal µs timestamp, an HTTP-date or *`);
        return null;
      }
      matched ||= cached !== undefined && Math.floor(cached.packet.timestamp / 1_000_000) * 1_000_000 === t;
    }
    if (!matched) {
      fail(res, 412, cached
        ? `Precondition failed: the cached packet has timestamp ${cached.packet.timestamp} (${formatHttpDate(cached.packet.timestamp)})`
        : 'Precondition failed: no packet is cached for this key');
      return null;
    }
    return cached!.packet.timestamp;
  }

  async function onPut(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const q = url.indexOf('?');
    const keyPart = q < 0 ? url.slice(1) : url.slice(1, q);
    if (keyPart.includes('/') || keyPart === '') return fail(res, 404, 'Not found');
    const key = parseKey(res, keyPart);
    if (!key) return;
    if (declaredLengthExceeds(req, MAX_CANONICAL_BYTES)) {
      return tooLarge(res);
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_CANONICAL_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return tooLarge(res);
      return; // client went away
    }
    let packet: RelayPacket;
    try {
      packet = parseRelayPayload(key, new Uint8Array(body.buffer, body.byteOffset, body.length));
    } catch (e) {
      const code = e instanceof PubkyError ? e.code : 'invalid_signed_packet';
      return fail(res, 400, `Invalid signed packet (${code}): ${errText(e)}`);
    }
    const cached = cache.get(key);
    let cas: number | undefined;
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined) {
      const r = checkIfMatch(res, ifMatch, cached);
      if (r === null) return;
      cas = r;
    }
    if (cached && moreRecentThan(cached.packet, packet)) {
      return fail(res, 409, `Conflict: a more recent packet is cached (timestamp ${cached.packet.timestamp}, yours ${packet.timestamp})`);
    }
    if (limited(dhtLimiter, req, res)) return;
    let storedAt = 0;
    if (dht) {
      try {
        const r = await dht.putMutable({ key: key.bytes, seq: packet.timestamp, value: packet.dns, signature: packet.signature, cas });
        storedAt = r.storedAt;
      } catch (e) {
        const code = e instanceof PubkyError ? e.code : undefined;
        if (code && NOT_MOST_RECENT_CODES.has(code)) return fail(res, 409, `Conflict: the DHT holds a more recent packet (${errText(e)})`);
        if (code && CAS_FAILED_CODES.has(code)) return fail(res, 412, `Precondition failed on the DHT: ${errText(e)}`);
        return fail(res, 500, `DHT publish failed: ${errText(e)}`);
      }
    }
    if (closed) return fail(res, 503, 'Relay shutting down');
    remember(packet);
    res.writeHead(204, [HEADER_STORED_NODES, String(storedAt), ...extraHeaders]);
    res.end();
  }

  function tooLarge(res: ServerResponse): void {
    for (let i = 0; i < extraHeaders.length; i += 2) res.setHeader(extraHeaders[i], extraHeaders[i + 1]);
    sendTooLarge(res, `Payload too large: a relay payload is at most ${MAX_CANONICAL_BYTES - 32} bytes`);
  }

  function statusPage(res: ServerResponse): void {
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Pkarr relay</title></head><body>
<h1>Pkarr relay</h1>
<p>GET or PUT <code>/&lt;z-base-32 public key&gt;</code> with a relay payload (<code>application/pkarr.org/relays#payload</code>).</p>
<ul><li>cached packets: ${cache.storedCount}</li><li>DHT: ${dht ? 'connected' : 'disabled (cache only)'}</li>
<li>up since: ${new Date(startedAt).toISOString()}</li></ul></body></html>`;
    const body = Buffer.from(html, 'utf8');
    res.writeHead(200, ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', String(body.length), ...extraHeaders]);
    res.end(body);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const method = req.method;
    if (requestLimiter && limited(requestLimiter, req, res)) return;
    if (method === 'GET' || method === 'HEAD') {
      if (url === '/' || url.startsWith('/?')) return statusPage(res);
      return onGet(req, res, url);
    }
    if (method === 'PUT') {
      void onPut(req, res, url).catch((e) => fail(res, 500, `Internal error: ${errText(e)}`));
      return;
    }
    if (method === 'OPTIONS' && cors) {
      res.writeHead(204, [
        'Access-Control-Allow-Origin', '*',
        'Access-Control-Allow-Methods', 'GET, PUT, OPTIONS',
        'Access-Control-Allow-Headers', '*',
        'Access-Control-Max-Age', '86400',
      ]);
      res.end();
      return;
    }
    fail(res, 405, 'Method not allowed', ['Allow', 'GET, PUT']);
  }

  const server = createServer((req, res) => {
    try {
      onRequest(req, res);
    } catch (e) {
      fail(res, 500, `Internal error: ${errText(e)}`);
    }
  });
  server.keepAliveTimeout = 5_000;

  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      cache.close();
      reject(e);
    });
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeAllListeners('error');
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: serverUrl(options.host ?? '127.0.0.1', port),
        port,
        server,
        cache,
        dht,
        close: async () => {
          if (closed) return;
          closed = true;
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          // Running lookups may still deliver; `closed` keeps them away from the closed cache.
          for (const l of lookups.values()) l.abort();
          lookups.clear();
          await ownNode?.close();
          cache.close();
        },
      });
    });
  });
}
