import type { PublicKey } from '@pubky-ts/common';
import { PkarrError } from './errors.ts';
import { formatHttpDate, parseHttpDate } from './http-date.ts';
import { MAX_SIGNED_PACKET_BYTES, SignedPacket } from './signed-packet.ts';

export type ResolvePolicy = 'CacheOnly' | 'CacheFirst' | 'NetworkOnly';
export const RESOLVE_POLICIES: readonly ResolvePolicy[] = ['CacheOnly', 'CacheFirst', 'NetworkOnly'];

export const DEFAULT_REQUEST_TIMEOUT_MS = 2000;
export const HEADER_INVALID_SIGNED_PACKET_SEQ = 'pkarr-invalid-signed-packet-seq';
export const HEADER_DHT_STORED_NODES = 'pkarr-dht-stored-nodes';
export const RELAY_CONTENT_TYPE = 'application/pkarr.org/relays#payload';
const CACHE_BYPASS = 'no-cache, no-store, must-revalidate';
const ERROR_TEXT_LIMIT = 512;

export interface RelayClientOptions {
  /** Per request, body included (default 2000 ms). */
  timeoutMs?: number;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

export interface RelayResolveOptions {
  /** Sent as `?policy=` (default CacheFirst). */
  policy?: ResolvePolicy;
  /**
   * Lower bound (µs): sent as `If-Modified-Since` (whole seconds), and a packet with a timestamp
   * at or below it counts as not found. The resolver passes `cached.timestamp − 1 s` (spec §10.9).
   */
  newerThan?: number;
  /** Ask caches on the way to revalidate (`Cache-Control: no-cache, no-store, must-revalidate`). */
  bypassCache?: boolean;
  signal?: AbortSignal;
}

export interface RelayPublishOptions {
  /** Compare-and-swap: the timestamp (µs) of the packet this one replaces, sent as `If-Match`. */
  cas?: number;
  signal?: AbortSignal;
}

/**
 * The HTTP API of one pkarr relay as a client sees it (spec §5.3, §6): `GET /<z32>?policy=…`
 * and `PUT /<z32>`. Failures are PkarrErrors: `not_found`, `invalid_signed_packet` (with `seq`),
 * `relay_bad_request`, `not_most_recent` (409), `cas_failed` (412), `conflict_risk` (428),
 * `relay_rate_limited` (429), `dht_unavailable` (503), `packet_too_large` (413),
 * `relay_unexpected_status`, `relay_timeout`, `relay_request_failed`, `relay_body_too_large`,
 * `relay_invalid_header`, `relay_invalid_payload`, `aborted`.
 */
export class RelayClient {
  readonly baseUrl: URL;
  readonly timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(baseUrl: string | URL, options: RelayClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(String(baseUrl));
    } catch {
      throw new PkarrError('invalid_relay_url', `${JSON.stringify(String(baseUrl))} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PkarrError('invalid_relay_url', `a relay URL must be http or https, got ${url.protocol}`);
    }
    url.hash = '';
    this.baseUrl = url;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new PkarrError('invalid_relay_url', 'no fetch implementation is available');
    this.#fetch = f;
  }

  /** `<base>/<z32>` (one path segment appended; a trailing `/` of the base is not doubled). */
  urlFor(key: PublicKey, policy?: ResolvePolicy): URL {
    const url = new URL(this.baseUrl.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${key.z32}`;
    if (policy) url.searchParams.append('policy', policy);
    return url;
  }

  async resolve(key: PublicKey, options: RelayResolveOptions = {}): Promise<SignedPacket> {
    const url = this.urlFor(key, options.policy ?? 'CacheFirst');
    const newerThan = options.newerThan;
    return this.#withTimeout(options.signal, async (signal) => {
      let response = await this.#get(url, newerThan, options.bypassCache === true, signal);
      let body: Uint8Array | null = null;
      if (response.status >= 200 && response.status < 300) body = await readLimited(response, MAX_SIGNED_PACKET_BYTES);
      // A stale HTTP cache can answer an impossible 304 or an empty 2xx: ask once more, bypassing it.
      const impossible304 = response.status === 304 && newerThan === undefined;
      if ((impossible304 || (body !== null && body.length === 0)) && options.bypassCache !== true) {
        await discard(response);
        response = await this.#get(url, newerThan, true, signal);
        body = response.status >= 200 && response.status < 300 ? await readLimited(response, MAX_SIGNED_PACKET_BYTES) : null;
      }
      const status = response.status;
      if (status === 404) {
        const seq = parseInvalidSeq(response.headers.get(HEADER_INVALID_SIGNED_PACKET_SEQ));
        await discard(response);
        if (seq !== null && !(newerThan !== undefined && seq >= 0 && seq <= newerThan)) {
          throw new PkarrError(
            'invalid_signed_packet',
            `relay ${this.baseUrl.host} reports a newer DHT item (seq ${seq}) that is not a valid signed packet`,
            { seq, status },
          );
        }
        throw new PkarrError('not_found', `relay ${this.baseUrl.host} has no packet for ${key.z32}`, { status });
      }
      if (status === 304) {
        await discard(response);
        throw new PkarrError('not_found', `relay ${this.baseUrl.host} has nothing newer for ${key.z32}`, { status });
      }
      if (status < 200 || status >= 300) throw await statusError(response, 'GET', this.baseUrl.host);
      const payload = body ?? new Uint8Array(0);
      let packet: SignedPacket;
      try {
        packet = SignedPacket.fromRelayPayload(key, payload);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new PkarrError('relay_invalid_payload', `relay ${this.baseUrl.host} answered an invalid packet for ${key.z32}: ${why}`, {
          cause: e,
          status,
        });
      }
      const memento = parseHttpDate(response.headers.get('memento-datetime'));
      if (memento !== null && memento <= Date.now() * 1000) packet.lastSeen = memento;
      if (newerThan !== undefined && packet.timestamp <= newerThan) {
        throw new PkarrError('not_found', `relay ${this.baseUrl.host} answered a packet no newer than the requested bound`, { status });
      }
      return packet;
    });
  }

  /** PUTs the relay payload; resolves with the relay's `Pkarr-Dht-Stored-Nodes` (1 when absent). */
  async publish(packet: SignedPacket, options: RelayPublishOptions = {}): Promise<number> {
    const url = this.urlFor(packet.publicKey);
    // no Content-Type, as the reference client: relays take the body as raw bytes
    const headers: Record<string, string> = {};
    if (options.cas !== undefined) {
      if (!Number.isSafeInteger(options.cas) || options.cas < 0) {
        throw new PkarrError('timestamp_out_of_range', `cas must be a non-negative µs timestamp below 2^53, got ${String(options.cas)}`);
      }
      headers['if-match'] = String(options.cas);
    }
    return this.#withTimeout(options.signal, async (signal) => {
      const response = await this.#send(url, { method: 'PUT', headers, body: packet.toRelayPayload() as Uint8Array<ArrayBuffer>, signal });
      if (response.status < 200 || response.status >= 300) throw await statusError(response, 'PUT', this.baseUrl.host);
      await discard(response);
      const stored = response.headers.get(HEADER_DHT_STORED_NODES);
      if (stored === null) return 1;
      if (!/^\d{1,10}$/.test(stored.trim()) || Number(stored) > 0xffffffff) {
        throw new PkarrError(
          'relay_invalid_header',
          `relay ${this.baseUrl.host} sent a malformed Pkarr-Dht-Stored-Nodes: ${JSON.stringify(stored.slice(0, 40))}`,
        );
      }
      return Number(stored);
    });
  }

  #get(url: URL, newerThan: number | undefined, bypass: boolean, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (newerThan !== undefined) headers['if-modified-since'] = formatHttpDate(Math.max(0, newerThan));
    if (bypass) headers['cache-control'] = CACHE_BYPASS;
    return this.#send(url, { method: 'GET', headers, signal });
  }

  async #send(url: URL, init: RequestInit & { signal: AbortSignal }): Promise<Response> {
    try {
      return await this.#fetch(url, init);
    } catch (e) {
      if (init.signal.aborted) throw e; // mapped by #withTimeout
      throw new PkarrError('relay_request_failed', `request to relay ${this.baseUrl.host} failed: ${errorText(e)}`, { cause: e });
    }
  }

  /** Runs `fn` under the per-request timeout, linked to the caller's signal; maps aborts to codes. */
  async #withTimeout<T>(outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (outer?.aborted) throw new PkarrError('aborted', 'the request was aborted');
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = () => controller.abort();
    outer?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(controller.signal);
    } catch (e) {
      if (timedOut)
        throw new PkarrError('relay_timeout', `relay ${this.baseUrl.host} did not answer within ${this.timeoutMs} ms`, { cause: e });
      if (outer?.aborted) throw new PkarrError('aborted', 'the request was aborted', { cause: e });
      if (e instanceof PkarrError) throw e;
      throw new PkarrError('relay_request_failed', `request to relay ${this.baseUrl.host} failed: ${errorText(e)}`, { cause: e });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}

function parseInvalidSeq(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (!/^-?\d{1,19}$/.test(v)) {
    throw new PkarrError('relay_invalid_header', `malformed Pkarr-Invalid-Signed-Packet-Seq: ${JSON.stringify(value.slice(0, 40))}`);
  }
  return Number(v);
}

/** Reads a body, failing with `relay_body_too_large` as soon as it passes `limit` bytes. */
async function readLimited(response: Response, limit: number): Promise<Uint8Array> {
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) {
    await discard(response);
    throw new PkarrError('relay_body_too_large', `the relay response body is ${declared} bytes, at most ${limit} accepted`);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new PkarrError('relay_body_too_large', `the relay response body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // the connection is going away anyway
  }
}

async function statusError(response: Response, method: string, host: string): Promise<PkarrError> {
  const status = response.status;
  let text = '';
  try {
    text = new TextDecoder().decode(await readLimited(response, ERROR_TEXT_LIMIT)).trim();
  } catch {
    await discard(response);
  }
  const suffix = text ? `: ${text.slice(0, 200)}` : '';
  const msg = (what: string) => `${method} to relay ${host}: ${status} ${what}${suffix}`;
  switch (status) {
    case 400:
      return new PkarrError('relay_bad_request', msg('bad request'), { status });
    case 409:
      return new PkarrError('not_most_recent', msg('a more recent packet is known'), { status });
    case 412:
      return new PkarrError('cas_failed', msg('compare-and-swap failed'), { status });
    case 413:
      return new PkarrError('packet_too_large', msg('payload too large'), { status });
    case 428:
      return new PkarrError('conflict_risk', msg('the relay requires compare-and-swap (If-Match)'), { status });
    case 429:
      return new PkarrError('relay_rate_limited', msg('rate limited'), { status });
    case 503:
      return new PkarrError('dht_unavailable', msg('the relay could not reach the DHT'), { status });
    default:
      return new PkarrError('relay_unexpected_status', msg('unexpected status'), { status });
  }
}
