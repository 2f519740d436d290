// How the SDK talks HTTP to homeservers: resolve the owner's homeserver through PKARR, pick its HTTP
// endpoint, address the request (path-addressed `/storage/<owner>/…` when the server advertises it,
// otherwise `pubky-host`), attach cookies or a bearer, and turn failures into typed errors.
import type { PublicKey } from '@pubky-ts/common';
import type { FetchLike } from './channel.ts';
import { CookieJar } from './cookie-jar.ts';
import { ClientError, isAbortError, PubkyHttpError, abortedError } from './errors.ts';
import type { HomeserverEndpoint } from '@pubky-ts/pkarr';
import type { Pkdns } from './pkdns.ts';
import { readBytesLimited, readTextPrefix } from './read-limited.ts';
import { encodePath } from './pubky-url.ts';

export const PATH_ADDRESSED_STORAGE = 'path-addressed-storage';
const INFO_MAX_BYTES = 16 * 1024;
const INFO_CACHE_MAX = 256;

export type CookieMode = 'jar' | 'browser';

export interface HomeserverRequest {
  method?: string;
  /** Whose data or session this is about: sets `pubky-host` and picks the cookie. */
  owner?: PublicKey;
  /** The homeserver; resolved from `owner` when absent. */
  homeserver?: PublicKey;
  /** Path (and query) on the homeserver, starting with `/`, already percent-encoded. */
  path: string;
  /**
   * A canonical storage path (literal text): the request is sent path-addressed when the homeserver
   * supports it, else to the encoded path with `pubky-host`. `path` is ignored then (`query` is kept).
   */
  storagePath?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  /** A bearer token (grant sessions). */
  bearer?: string;
  signal?: AbortSignal;
  /** Send no cookies and store none (token exchanges). */
  anonymous?: boolean;
}

export interface PubkyHttpOptions {
  fetch?: FetchLike;
  pkdns: Pkdns;
  cookieMode: CookieMode;
  /** How long a homeserver's `/info` features are trusted. Default 60 s. */
  infoTtlMs?: number;
  now?: () => number;
  /** How long reads of public data wait for a homeserver before its mirrors are tried; 0 = no limit. */
  readTimeoutMs?: number;
}

/** How long a read of public data waits for the primary (and for each further chunk) before a mirror is tried. */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;
/** After the primary failed to answer, its users' public reads ask the mirrors first for this long. */
export const PRIMARY_DOWN_MS = 30_000;

export class PubkyHttp {
  readonly pkdns: Pkdns;
  readonly cookieMode: CookieMode;
  readonly cookies: CookieJar;
  private readonly doFetch: FetchLike;
  private readonly infoTtl: number;
  private readonly now: () => number;
  private readonly features = new Map<string, { value: Promise<Set<string>>; expires: number }>();
  /** See PubkyHttpOptions.readTimeoutMs (`read-fallback.ts` uses it). */
  readonly readTimeoutMs: number;
  /** Users (z32) whose primary did not answer, until when (ms): their reads ask mirrors first. */
  readonly primaryDown = new Map<string, number>();

  constructor(options: PubkyHttpOptions) {
    this.pkdns = options.pkdns;
    this.cookieMode = options.cookieMode;
    // Bind lazily so tests (and apps) can replace globalThis.fetch after construction.
    this.doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.infoTtl = options.infoTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.cookies = new CookieJar({ now: this.now });
    const ms = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    if (!Number.isFinite(ms) || ms < 0) throw new ClientError('invalid_argument', 'readTimeoutMs is a number of milliseconds >= 0');
    this.readTimeoutMs = ms;
  }

  get fetchFn(): FetchLike {
    return this.doFetch;
  }

  async endpoint(homeserver: PublicKey, signal?: AbortSignal): Promise<HomeserverEndpoint> {
    return this.pkdns.getEndpoint(homeserver, signal);
  }

  /**
   * The feature identifiers of a homeserver's `GET /info` (homeserver-delta §4), cached for 60 s.
   * Any failure means "no features" (old servers have no `/info`).
   */
  async homeserverFeatures(homeserver: PublicKey, signal?: AbortSignal): Promise<Set<string>> {
    const hit = this.features.get(homeserver.z32);
    if (hit && hit.expires > this.now()) return hit.value;
    const value = this.loadFeatures(homeserver, signal);
    if (this.features.size >= INFO_CACHE_MAX) this.features.delete(this.features.keys().next().value as string);
    this.features.set(homeserver.z32, { value, expires: this.now() + this.infoTtl });
    return value;
  }

  private async loadFeatures(homeserver: PublicKey, signal?: AbortSignal): Promise<Set<string>> {
    try {
      const { origin } = await this.endpoint(homeserver, signal);
      const timeout = AbortSignal.timeout(5000);
      const res = await this.doFetch(`${origin}/info`, {
        credentials: 'omit',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        return new Set();
      }
      const bytes = await readBytesLimited(res, INFO_MAX_BYTES);
      if (bytes === null) return new Set();
      const json = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
      const list = (json as { features?: unknown })?.features;
      return new Set(Array.isArray(list) ? list.filter((f): f is string => typeof f === 'string') : []);
    } catch {
      if (signal?.aborted) this.features.delete(homeserver.z32);
      return new Set();
    }
  }

  /** Sends a request to a homeserver and returns the raw response (any status). */
  async request(req: HomeserverRequest): Promise<Response> {
    const method = (req.method ?? 'GET').toUpperCase();
    const homeserver = req.homeserver ?? (req.owner ? await this.pkdns.requireHomeserverOf(req.owner, req.signal) : undefined);
    if (!homeserver) throw new ClientError('invalid_argument', 'a homeserver request needs an owner or a homeserver');
    const { origin } = await this.endpoint(homeserver, req.signal);
    const headers: Record<string, string> = { ...req.headers };
    let pathAndQuery: string;
    const tenant = req.owner ?? homeserver;
    if (req.storagePath !== undefined) {
      if (!req.owner) throw new ClientError('invalid_argument', 'a storage request needs an owner');
      const pathAddressed = (await this.homeserverFeatures(homeserver, req.signal)).has(PATH_ADDRESSED_STORAGE);
      const encoded = encodePath(req.storagePath);
      if (pathAddressed) {
        pathAndQuery = `/storage/${req.owner.z32}${encoded}`;
      } else {
        pathAndQuery = encoded;
        headers['pubky-host'] = tenant.z32;
      }
      if (req.query) pathAndQuery += req.query.startsWith('?') ? req.query : `?${req.query}`;
    } else {
      pathAndQuery = req.path;
      headers['pubky-host'] = tenant.z32;
    }
    const url = `${origin}${pathAndQuery}`;
    if (req.bearer) headers.authorization = `Bearer ${req.bearer}`;
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: req.signal, redirect: 'manual' };
    if (req.body !== undefined && req.body !== null) {
      init.body = req.body;
      if (isStreamBody(req.body)) init.duplex = 'half';
    }
    if (!req.anonymous) {
      if (this.cookieMode === 'browser') {
        init.credentials = 'include';
      } else {
        const cookie = this.cookies.header(origin, [tenant.z32]);
        if (cookie) headers.cookie = cookie;
      }
    } else {
      init.credentials = 'omit';
    }
    let res: Response;
    try {
      res = await this.doFetch(url, init);
    } catch (e) {
      if (req.signal?.aborted || isAbortError(e)) throw abortedError(req.signal);
      // The endpoint may have moved: resolve again next time.
      this.pkdns.forget(homeserver);
      if (req.owner) this.pkdns.forget(req.owner);
      throw new ClientError('network_error', `${method} ${url} failed: ${describe(e)}`, { cause: e });
    }
    if (this.cookieMode === 'jar' && !req.anonymous) {
      const setCookie = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : res.headers.get('set-cookie');
      this.cookies.storeFromResponse(origin, setCookie);
    }
    return res;
  }

  /** Like `request`, but a non-2xx status is thrown as a PubkyHttpError with the server's message. */
  async requestOk(req: HomeserverRequest): Promise<Response> {
    const res = await this.request(req);
    if (!res.ok) throw await httpError(res, req.method ?? 'GET');
    return res;
  }

  /** Sends to an arbitrary URL with this client's fetch (no pubky addressing). */
  rawFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return this.doFetch(input, init);
  }
}

function isStreamBody(body: unknown): boolean {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
}

/** Builds a PubkyHttpError from a response, reading (at most 4 KiB of) its text body. */
export async function httpError(res: Response, method: string): Promise<PubkyHttpError> {
  let text = '';
  try {
    text = await readTextPrefix(res, 4096);
  } catch {
    // A body that fails to arrive leaves the status to speak.
  }
  const retry = res.headers.get('retry-after');
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined;
  // Only a code-shaped value: the header comes from whatever server answered.
  const code = res.headers.get('pubky-error-code');
  const serverCode = code !== null && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(code) ? code : undefined;
  return new PubkyHttpError({
    status: res.status,
    serverMessage: text,
    serverCode,
    method: method.toUpperCase(),
    url: res.url || '',
    retryAfter,
  });
}
