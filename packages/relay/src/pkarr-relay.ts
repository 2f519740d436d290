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
import { parseHttpDate } from '@pubky-ts/pkarr';
import { DhtLookup } from './dht-lookup.ts';
import { BodyTooLargeError, declaredLengthExceeds, readBody, serverUrl } from './http-util.ts';
import { checkIfMatch } from './if-match.ts';
import { type CacheEntry, PacketCache } from './packet-cache.ts';
import { RateLimiter, type Quota } from './rate-limiter.ts';
import { ERROR_CODE_HEADER, RelayError, relayErrors } from './relay-errors.ts';
import { MAX_CANONICAL_BYTES, moreRecentThan, parseRelayPayload, type RelayPacket } from './relay-packet.ts';

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
  'Access-Control-Allow-Origin',
  '*',
  'Access-Control-Expose-Headers',
  `${HEADER_INVALID_SEQ}, ${HEADER_STORED_NODES}, Memento-Datetime, Last-Modified, ETag, Retry-After, ${ERROR_CODE_HEADER}`,
];

const PREFLIGHT_HEADERS = [
  'Access-Control-Allow-Origin',
  '*',
  'Access-Control-Allow-Methods',
  'GET, PUT, OPTIONS',
  'Access-Control-Allow-Headers',
  '*',
  'Access-Control-Max-Age',
  '86400',
];

function parsePolicy(query: string): ResolvePolicy | undefined {
  const p = new URLSearchParams(query).get('policy');
  if (p === null) return 'CacheFirst';
  if (p === 'CacheOnly' || p === 'CacheFirst' || p === 'NetworkOnly') return p;
  return undefined; // invalid
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isBackend(d: DhtBackend | RelayDhtNodeOptions): d is DhtBackend {
  return typeof (d as DhtBackend).getMutable === 'function';
}

/** `/<key>[?query]` of a request URL. */
function splitKeyUrl(url: string): { keyPart: string; query: string | null } {
  const q = url.indexOf('?');
  return q < 0 ? { keyPart: url.slice(1), query: null } : { keyPart: url.slice(1, q), query: url.slice(q + 1) };
}

function parseKey(keyPart: string): PublicKey {
  let text: string;
  try {
    text = decodeURIComponent(keyPart);
  } catch {
    throw relayErrors.invalidPublicKey('bad percent-encoding');
  }
  try {
    return PublicKey.parse(text);
  } catch (e) {
    throw relayErrors.invalidPublicKey(errText(e));
  }
}

export async function startPkarrRelay(options: PkarrRelayOptions = {}): Promise<PkarrRelayHandle> {
  let ownNode: (DhtBackend & { close(): Promise<void> }) | null = null;
  let dht: DhtBackend | null = null;
  if (options.dht) {
    if (isBackend(options.dht)) dht = options.dht;
    else dht = ownNode = await startRelayDhtNode(options.dht);
  }
  try {
    return await new PkarrRelay(options, dht, ownNode).listen();
  } catch (e) {
    await ownNode?.close();
    throw e;
  }
}

/**
 * One pkarr relay: its routes are its methods — `statusPage` (GET /), `getPacket` (GET /<key>),
 * `putPacket` (PUT /<key>), `preflight` (OPTIONS) — dispatched by `onRequest`. Route methods
 * answer through `res` or throw a `RelayError`, which `fail` answers with its status, text and
 * `pubky-error-code`.
 */
class PkarrRelay {
  private readonly server: Server;
  private readonly cache: PacketCache;
  private readonly cors: boolean;
  private readonly extraHeaders: string[];
  private readonly lookupTimeoutMs: number;
  private readonly behindProxy: boolean;
  private readonly requestLimiter: RateLimiter | null;
  private readonly dhtLimiter: RateLimiter | null;
  private readonly lookups = new Map<string, DhtLookup>();
  private readonly startedAt = Date.now();
  private closed = false;

  constructor(
    private readonly options: PkarrRelayOptions,
    private readonly dht: DhtBackend | null,
    private readonly ownNode: { close(): Promise<void> } | null,
  ) {
    this.cors = options.cors ?? true;
    this.extraHeaders = this.cors ? CORS_RESPONSE_HEADERS : [];
    this.cache = new PacketCache({
      dir: options.cacheDir,
      size: options.cacheSize,
      memorySize: options.memoryCacheSize,
      minimumTtl: options.minimumTtl,
      maximumTtl: options.maximumTtl,
      extraHeaders: this.extraHeaders,
    });
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 10_000;
    const rl = options.rateLimit || null;
    this.behindProxy = rl?.behindProxy ?? false;
    this.requestLimiter = rl?.quota ? new RateLimiter(rl.quota) : null;
    this.dhtLimiter = rl?.userDhtQuota ? new RateLimiter(rl.userDhtQuota) : null;
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  listen(): Promise<PkarrRelayHandle> {
    const { server, options } = this;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => {
        this.cache.close();
        reject(e);
      });
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.removeAllListeners('error');
        const port = (server.address() as AddressInfo).port;
        resolve({
          url: serverUrl(options.host ?? '127.0.0.1', port),
          port,
          server,
          cache: this.cache,
          dht: this.dht,
          close: () => this.close(),
        });
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
    // Running lookups may still deliver; `closed` keeps them away from the closed cache.
    for (const l of this.lookups.values()) l.abort();
    this.lookups.clear();
    await this.ownNode?.close();
    this.cache.close();
  }

  /** The router: method and path shape (`/` or `/<key>`) pick the route method. */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      if (this.requestLimiter) this.limit(this.requestLimiter, req);
      const url = req.url ?? '/';
      const method = req.method;
      if (method === 'GET' || method === 'HEAD') {
        if (url === '/' || url.startsWith('/?')) return this.statusPage(res);
        return this.getPacket(req, res, url);
      }
      if (method === 'PUT') {
        this.putPacket(req, res, url).catch((e: unknown) => this.fail(res, e));
        return;
      }
      if (method === 'OPTIONS' && this.cors) return this.preflight(res);
      throw relayErrors.methodNotAllowed('GET, PUT');
    } catch (e) {
      this.fail(res, e);
    }
  }

  /** The error answer: a RelayError's status, text and code; anything else is a 500. */
  private fail(res: ServerResponse, e: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const err = e instanceof RelayError ? e : relayErrors.internal(`Internal error: ${errText(e)}`);
    const body = Buffer.from(err.message, 'utf8');
    const headers = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length)];
    for (const k in err.headers) headers.push(k, err.headers[k]!);
    headers.push(ERROR_CODE_HEADER, err.code, ...this.extraHeaders);
    res.writeHead(err.status, headers);
    res.end(body);
  }

  /** Throws 429 when `limiter` refuses this client. */
  private limit(limiter: RateLimiter, req: IncomingMessage): void {
    const wait = limiter.take(this.clientIp(req));
    if (wait !== 0) throw relayErrors.rateLimited(wait);
  }

  private clientIp(req: IncomingMessage): string {
    if (this.behindProxy) {
      const xff = req.headers['x-forwarded-for'];
      const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
      if (first) return first;
      const real = req.headers['x-real-ip'];
      if (typeof real === 'string' && real) return real.trim();
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  /** GET / */
  private statusPage(res: ServerResponse): void {
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Pkarr relay</title></head><body>
<h1>Pkarr relay</h1>
<p>GET or PUT <code>/&lt;z-base-32 public key&gt;</code> with a relay payload (<code>application/pkarr.org/relays#payload</code>).</p>
<ul><li>cached packets: ${this.cache.storedCount}</li><li>DHT: ${this.dht ? 'connected' : 'disabled (cache only)'}</li>
<li>up since: ${new Date(this.startedAt).toISOString()}</li></ul></body></html>`;
    const body = Buffer.from(html, 'utf8');
    res.writeHead(200, ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', String(body.length), ...this.extraHeaders]);
    res.end(body);
  }

  /** OPTIONS (CORS preflight). */
  private preflight(res: ServerResponse): void {
    res.writeHead(204, PREFLIGHT_HEADERS);
    res.end();
  }

  /** GET /<key>[?policy=…]: the cached packet when fresh enough, else from the DHT by policy. */
  private getPacket(req: IncomingMessage, res: ServerResponse, url: string): void {
    const { keyPart, query } = splitKeyUrl(url);
    let policy: ResolvePolicy = 'CacheFirst';
    if (query !== null) {
      const p = parsePolicy(query);
      if (p === undefined) throw relayErrors.invalidPolicy();
      policy = p;
    }
    const { dht } = this;
    // The hot path: a cached packet found by the key text as sent.
    let entry = this.cache.peek(keyPart);
    if (entry === undefined) {
      if (keyPart.includes('/')) throw relayErrors.notFound();
      const key = parseKey(keyPart);
      entry = this.cache.get(key);
      if (entry === undefined) {
        if (policy === 'CacheOnly' || !dht) throw relayErrors.notFound();
        if (this.dhtLimiter) this.limit(this.dhtLimiter, req);
        this.resolveFromDht(req, res, key, undefined, policy).catch((e: unknown) => this.fail(res, e));
        return;
      }
    }
    if (policy === 'CacheOnly' || !dht || (policy === 'CacheFirst' && !entry.isExpired())) {
      if (policy === 'CacheFirst' && !dht && entry.isExpired()) throw relayErrors.notFound();
      return this.serve(req, res, entry);
    }
    if (this.dhtLimiter) this.limit(this.dhtLimiter, req);
    this.resolveFromDht(req, res, entry.packet.key, entry, policy).catch((e: unknown) => this.fail(res, e));
  }

  /** PUT /<key>: a relay payload, checked, CAS-checked (`If-Match`), published to the DHT, cached. */
  private async putPacket(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const { keyPart } = splitKeyUrl(url);
    if (keyPart.includes('/') || keyPart === '') throw relayErrors.notFound();
    const key = parseKey(keyPart);
    const tooLarge = () => relayErrors.bodyTooLarge(`Payload too large: a relay payload is at most ${MAX_CANONICAL_BYTES - 32} bytes`);
    if (declaredLengthExceeds(req, MAX_CANONICAL_BYTES)) throw tooLarge();
    let body: Buffer;
    try {
      body = await readBody(req, MAX_CANONICAL_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw tooLarge();
      return; // client went away
    }
    let packet: RelayPacket;
    try {
      packet = parseRelayPayload(key, new Uint8Array(body.buffer, body.byteOffset, body.length));
    } catch (e) {
      throw relayErrors.invalidSignedPacket(e instanceof PubkyError ? e.code : 'invalid_signed_packet', errText(e));
    }
    const cached = this.cache.get(key);
    const ifMatch = req.headers['if-match'];
    const cas = ifMatch === undefined ? undefined : checkIfMatch(ifMatch, cached);
    if (cached && moreRecentThan(cached.packet, packet)) throw relayErrors.newerPacketCached(cached.packet.timestamp, packet.timestamp);
    if (this.dhtLimiter) this.limit(this.dhtLimiter, req);
    const storedAt = this.dht ? await this.publish(key, packet, cas) : 0;
    if (this.closed) throw relayErrors.shuttingDown('Relay shutting down');
    this.remember(packet);
    res.writeHead(204, [HEADER_STORED_NODES, String(storedAt), ...this.extraHeaders]);
    res.end();
  }

  /** Stores the packet on the DHT; returns on how many nodes. */
  private async publish(key: PublicKey, packet: RelayPacket, cas: number | undefined): Promise<number> {
    try {
      const r = await this.dht!.putMutable({ key: key.bytes, seq: packet.timestamp, value: packet.dns, signature: packet.signature, cas });
      return r.storedAt;
    } catch (e) {
      const code = e instanceof PubkyError ? e.code : undefined;
      if (code && NOT_MOST_RECENT_CODES.has(code)) throw relayErrors.newerPacketOnDht(errText(e));
      if (code && CAS_FAILED_CODES.has(code)) throw relayErrors.dhtPreconditionFailed(errText(e));
      throw relayErrors.dhtPublishFailed(errText(e));
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse, entry: CacheEntry): void {
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
  private remember(p: RelayPacket): CacheEntry {
    const current = this.cache.get(p.key);
    if (current && moreRecentThan(current.packet, p)) return current;
    return this.cache.put(p);
  }

  private startLookup(key: PublicKey, floor: RelayPacket | undefined, policy: ResolvePolicy): DhtLookup {
    const id = `${key.z32}|${policy}|${floor?.timestamp ?? ''}`;
    let l = this.lookups.get(id);
    if (l) return l;
    l = new DhtLookup(this.dht!, key, floor, this.lookupTimeoutMs, (p) => {
      if (!this.closed) this.remember(p);
    });
    this.lookups.set(id, l);
    const mine = l;
    void l.done.then(() => {
      if (this.lookups.get(id) === mine) this.lookups.delete(id);
    });
    return l;
  }

  private async resolveFromDht(
    req: IncomingMessage,
    res: ServerResponse,
    key: PublicKey,
    cached: CacheEntry | undefined,
    policy: ResolvePolicy,
  ): Promise<void> {
    const floor = policy === 'NetworkOnly' ? undefined : cached?.packet;
    const lookup = this.startLookup(key, floor, policy);
    if (policy === 'CacheFirst') await lookup.first;
    else await lookup.done;
    if (this.closed) throw relayErrors.shuttingDown('Relay shutting down');
    const cachedTs = cached?.packet.timestamp ?? -1;
    // Spec §4.6: once the lookup is complete, a higher-seq invalid item supersedes older valid packets.
    const supersededByInvalid = () => lookup.maxInvalidSeq > cachedTs && (!lookup.best || lookup.maxInvalidSeq > lookup.best.timestamp);
    if (lookup.best && (policy === 'CacheFirst' || !supersededByInvalid())) {
      const entry = this.cache.get(key);
      if (entry) return this.serve(req, res, entry);
    }
    await lookup.done;
    if (supersededByInvalid()) throw relayErrors.invalidNewestPacket(lookup.maxInvalidSeq, HEADER_INVALID_SEQ);
    if (lookup.error) {
      const code = lookup.error instanceof PubkyError ? lookup.error.code : undefined;
      throw relayErrors.dhtUnavailable(dhtUnavailableText(code) ?? `DHT lookup failed: ${errText(lookup.error)}`);
    }
    throw relayErrors.notFound();
  }
}
