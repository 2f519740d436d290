// The SDK's entry point, shaped like `@synonymdev/pubky`'s `Pubky`.
import { type AuthToken, type Capabilities, type Keypair, PublicKey, type EventsPage, type PubkyEvent } from '@pubky-ts/common';
import { defaultCookieMode } from '#platform';
import { AuthFlow, type AuthFlowHost, type AuthFlowOptions, type AuthFlowState } from './auth-flow.ts';
import type { FetchLike } from './channel.ts';
import { ClientError, PubkyHttpError } from './errors.ts';
import { fetchEventsFeed, streamEvents, type EventsOptions, type FeedOptions } from './events.ts';
import { verifyGrant } from './grant.ts';
import { httpError, PubkyHttp, type CookieMode } from './http.ts';
import { Pkarr, type DhtBackend } from '@pubky-ts/pkarr';
import { Pkdns, PkarrPacketSource, type PacketSource } from './pkdns.ts';
import { parsePubkyTarget } from './pubky-url.ts';
import {
  CookieCredential,
  credentialFromExport,
  detailsFromSessionInfo,
  fetchSessionDetails,
  GrantCredential,
  parseSessionExport,
  Session,
} from './session.ts';
import { Signer } from './signer.ts';
import type { PubkyInternals } from './internals.ts';
import { PublicStorage } from './storage.ts';

export const DEFAULT_PKARR_RELAYS = ['https://pkarr.pubky.app', 'https://pkarr.pubky.org'];
export const TESTNET_PKARR_RELAY_PORT = 15411;
export const TESTNET_HTTP_RELAY_PORT = 15412;

export interface PubkyOptions {
  /** pkarr relays to resolve and publish through. Default: the public Pubky relays. */
  relays?: string[];
  /**
   * A Mainline DHT node (e.g. a running `@pubky-ts/dht` node), queried alongside the relays.
   * Browsers have no DHT. Pass `relays: []` to use the DHT alone.
   */
  dht?: DhtBackend;
  /** A pkarr client of your own (its relays, DHT and cache); `relays` and `dht` are ignored then. */
  pkarr?: Pkarr;
  /** Replaces relays and DHT entirely (tests, custom resolvers). */
  packetSource?: PacketSource;
  /**
   * Local testnet: relay `http://<host>:15411`, HTTP relay `http://<host>:15412/inbox`, and endpoints on
   * `<host>`/`localhost` reached over plain HTTP on the SvcParam-65280 port. `true` means host `localhost`.
   */
  testnet?: boolean | { host?: string };
  /** fetch to use (default: the global one). */
  fetch?: FetchLike;
  /** `jar` (Node default): the SDK keeps cookies; `browser`: `credentials: 'include'`. */
  cookieMode?: CookieMode;
  /** Default relay channel base of auth flows. */
  httpRelay?: string;
  /**
   * How long a read of public data waits for the user's homeserver (for its answer, then for each
   * chunk) before it is tried on the user's mirrors. Default 10 000 ms; 0 waits forever.
   */
  readTimeoutMs?: number;
}

export class Pubky implements PubkyInternals {
  readonly http: PubkyHttp;
  readonly pkdns: Pkdns;
  /** Anyone's public data: `pubky.publicStorage.getText('pubky://<user>/pub/…')`. */
  readonly publicStorage: PublicStorage;
  readonly httpRelay: string;

  constructor(options: PubkyOptions = {}) {
    const testnetHost = options.testnet
      ? typeof options.testnet === 'object'
        ? (options.testnet.host ?? 'localhost')
        : 'localhost'
      : null;
    const fetchFn: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    let source = options.packetSource;
    if (!source) {
      const relays = options.relays ?? (testnetHost ? [`http://${testnetHost}:${TESTNET_PKARR_RELAY_PORT}`] : DEFAULT_PKARR_RELAYS);
      if (!options.pkarr && relays.length === 0 && !options.dht) {
        throw new ClientError('invalid_argument', 'Pubky needs at least one relay or a DHT node');
      }
      const pkarr = options.pkarr ?? new Pkarr({ relays, dht: options.dht, fetch: fetchFn as typeof fetch });
      source = new PkarrPacketSource(pkarr);
    }
    this.pkdns = new Pkdns(source, { httpHosts: testnetHost ? [testnetHost] : [] });
    this.http = new PubkyHttp({
      fetch: fetchFn,
      pkdns: this.pkdns,
      cookieMode: options.cookieMode ?? defaultCookieMode,
      readTimeoutMs: options.readTimeoutMs,
    });
    this.publicStorage = new PublicStorage(this.http);
    this.httpRelay =
      options.httpRelay ?? (testnetHost ? `http://${testnetHost}:${TESTNET_HTTP_RELAY_PORT}/inbox` : 'https://httprelay.pubky.app/inbox');
  }

  /** A client for the local testnet (see PubkyOptions.testnet). */
  static testnet(host = 'localhost', options: Omit<PubkyOptions, 'testnet'> = {}): Pubky {
    return new Pubky({ ...options, testnet: { host } });
  }

  get fetchFn(): FetchLike {
    return this.http.fetchFn;
  }

  /** A signer acting as the key pair's owner. */
  signer(keypair: Keypair): Signer {
    return new Signer(this, keypair);
  }

  /**
   * fetch that understands `pubky://<user>/…`, `pubky<user>/…`, `https://_pubky.<user>/…` (the user's
   * homeserver) and `https://<key>/…` (that key's own endpoint). Other URLs go to plain fetch.
   * Storage paths (`/pub/`, `/priv/`) use path-addressing when the homeserver supports it.
   */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const text = url.toString();
    const target = parsePubkyTarget(text);
    if (!target) return this.http.rawFetch(text, init);
    const q = target.pathAndQuery.indexOf('?');
    const path = q >= 0 ? target.pathAndQuery.slice(0, q) : target.pathAndQuery;
    const query = q >= 0 ? target.pathAndQuery.slice(q) : '';
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const base = {
      method: init.method ?? 'GET',
      headers,
      body: init.body ?? null,
      signal: init.signal ?? undefined,
    };
    if (target.kind === 'host') {
      return this.http.request({ ...base, homeserver: target.host, path: target.pathAndQuery });
    }
    if (path.startsWith('/pub/') || path.startsWith('/priv/')) {
      let literal: string;
      try {
        literal = path
          .split('/')
          .map((s) => decodeURIComponent(s))
          .join('/');
      } catch {
        throw new ClientError('invalid_pubky_url', `${text.slice(0, 120)} has invalid percent-encoding`);
      }
      return this.http.request({ ...base, owner: target.owner, path, storagePath: literal, query });
    }
    return this.http.request({ ...base, owner: target.owner, path: target.pathAndQuery });
  }

  /**
   * The homeserver a user's `_pubky` record names; null when the user has no record. Throws
   * PkarrResolutionError when PKARR cannot be reached.
   */
  getHomeserverOf(user: PublicKey | string, options: { signal?: AbortSignal } = {}): Promise<PublicKey | null> {
    return this.pkdns.getHomeserverOf(typeof user === 'string' ? PublicKey.parse(user) : user, options.signal);
  }

  /** The user's mirror homeservers from their `_pubky` records, by preference; empty when none. */
  getMirrorsOf(user: PublicKey | string, options: { signal?: AbortSignal } = {}): Promise<PublicKey[]> {
    return this.pkdns.getMirrorsOf(typeof user === 'string' ? PublicKey.parse(user) : user, options.signal);
  }

  /**
   * Starts a pubkyauth flow: show `flow.authorizationUrl` (QR code or link), then
   * `await flow.awaitSession()`. Persist `flow.toJSON()` to survive a reload.
   */
  startAuthFlow(capabilities: Capabilities | string | string[], options: AuthFlowOptions = {}): AuthFlow {
    return AuthFlow.start(this, capabilities, { ...options, relay: options.relay ?? this.httpRelay });
  }

  /** Resumes a flow from `flow.toJSON()`. */
  resumeAuthFlow(state: AuthFlowState | string): AuthFlow {
    return AuthFlow.resume(this, state);
  }

  /** Resumes a flow with a new client built from `options`. */
  static resumeAuthFlow(state: AuthFlowState | string, options: PubkyOptions = {}): AuthFlow {
    return new Pubky(options).resumeAuthFlow(state);
  }

  /**
   * Rebuilds a session from `session.export()` and checks with the homeserver that it still holds.
   * A session that is gone rejects with PubkyHttpError 401.
   */
  async restoreSession(exported: string, options: { signal?: AbortSignal } = {}): Promise<Session> {
    const data = parseSessionExport(exported);
    const credential = credentialFromExport(this.http, data);
    let cred = credential;
    if (credential instanceof CookieCredential) {
      const { origin } = await this.http.endpoint(credential.homeserver, options.signal);
      if (data.kind === 'cookie' && data.secret && this.http.cookieMode === 'jar') {
        this.http.cookies.set(origin, { name: credential.user.z32, value: data.secret });
      }
      cred = new CookieCredential(credential.user, credential.homeserver, origin);
    }
    this.pkdns.rememberHomeserver(cred.user, cred.homeserver);
    const details = await fetchSessionDetails(this.http, cred, options.signal);
    if (!details) {
      throw new PubkyHttpError({
        status: 401,
        serverMessage: 'the session is no longer valid on the homeserver',
        method: 'GET',
        url: `pubky://${cred.user.z32}/session`,
      });
    }
    return new Session(this.http, cred, details);
  }

  /** Streams events of users from their homeservers (`/events-stream`). */
  events(options: EventsOptions): AsyncGenerator<PubkyEvent, void, undefined> {
    return streamEvents(this.http, options);
  }

  /** One page of a homeserver's public `/events/` feed. */
  eventsFeed(homeserver: PublicKey | string, options: FeedOptions = {}): Promise<EventsPage> {
    return fetchEventsFeed(this.http, typeof homeserver === 'string' ? PublicKey.parse(homeserver) : homeserver, options);
  }

  /** Pages through a homeserver's feed until it is caught up (an empty page). */
  async *eventsFeedPages(homeserver: PublicKey | string, options: FeedOptions = {}): AsyncGenerator<EventsPage, void, undefined> {
    let cursor = options.cursor;
    for (;;) {
      const page = await this.eventsFeed(homeserver, { ...options, cursor });
      if (page.events.length === 0 || page.cursor === null) return;
      yield page;
      cursor = page.cursor;
    }
  }

  // ---- internals shared with Signer and AuthFlow ----

  /** Turns a sign-up/sign-in response into a cookie session. */
  async cookieSession(user: PublicKey, homeserver: PublicKey, res: Response, options: { remember?: boolean } = {}): Promise<Session> {
    const details = detailsFromSessionInfo(new Uint8Array(await res.arrayBuffer()));
    if (!details.publicKey.equals(user)) {
      throw new ClientError('invalid_response', `the homeserver answered with a session of ${details.publicKey.z32}, not ${user.z32}`);
    }
    const { origin } = await this.http.endpoint(homeserver);
    if (options.remember ?? true) this.pkdns.rememberHomeserver(user, homeserver);
    return new Session(this.http, new CookieCredential(user, homeserver, origin), details);
  }

  /** `POST /session` with a signed AuthToken on the user's homeserver. */
  async sessionFromAuthToken(
    token: AuthToken,
    homeserver?: PublicKey,
    signal?: AbortSignal,
    options: { remember?: boolean } = {},
  ): Promise<Session> {
    const user = token.publicKey;
    const hs = homeserver ?? (await this.pkdns.requireHomeserverOf(user, signal));
    const res = await this.http.request({
      method: 'POST',
      homeserver: hs,
      owner: user,
      path: '/session',
      headers: { 'content-type': 'application/octet-stream' },
      body: token.serialize() as BodyInit,
      signal,
    });
    if (!res.ok) throw await httpError(res, 'POST');
    return this.cookieSession(user, hs, res, options);
  }

  /** Exchanges a grant (issued to `client`) for a bearer session at the issuer's homeserver. */
  async sessionFromGrant(grant: string, client: Keypair, signal?: AbortSignal): Promise<Session> {
    const verified = verifyGrant(grant, { expectedClientKey: client.publicKey });
    const hs = await this.pkdns.requireHomeserverOf(verified.issuer, signal);
    const credential = new GrantCredential(this.http, verified, client, hs);
    await credential.refresh(signal);
    const info = credential.info!;
    return new Session(this.http, credential, { publicKey: verified.issuer, capabilities: info.capabilities, createdAt: info.created_at });
  }
}
