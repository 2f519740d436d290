// A signed-in user on their homeserver. Two mechanisms: cookie sessions (homeserver §3.3; the only one
// of SDK 0.6.0) and grant sessions (§3.6: grant JWS + PoP exchanged for a 1 h bearer).
import {
  base64urlDecode,
  base64urlEncode,
  bytesToHex,
  decodeSessionInfo,
  hexToBytes,
  Keypair,
  PublicKey,
  utf8Decode,
  utf8Encode,
  type PubkyEvent,
} from '@pubky-ts/common';
import { ClientError } from './errors.ts';
import {
  createPop,
  parseGrantSessionInfo,
  parseGrantSessionResponse,
  verifyGrant,
  type GrantSessionInfo,
  type VerifiedGrant,
} from './grant.ts';
import { streamEvents, type EventsOptions } from './events.ts';
import { httpError, type PubkyHttp } from './http.ts';
import { readTextLimited } from './read-limited.ts';
import { SessionStorage, type SessionCredential } from './storage.ts';

export type SessionKind = 'cookie' | 'grant';

/** What the homeserver says about a session. */
export interface SessionDetails {
  publicKey: PublicKey;
  capabilities: string[];
  /** Cookie sessions: as the server sent it (µs after sign-in, seconds from GET /session). Grants: unix s. */
  createdAt: number;
}

const EXPORT_PREFIX = 'pubky-session:';
const tooLarge = () => new ClientError('invalid_response', 'the homeserver answer is larger than 64 KiB');
/** Refresh a bearer this long before it expires (reference SDK: 300 s). */
const REFRESH_MARGIN_S = 300;

export class CookieCredential implements SessionCredential {
  constructor(
    readonly user: PublicKey,
    readonly homeserver: PublicKey,
    /** The homeserver origin whose cookie jar holds the session cookie (Node). */
    readonly origin?: string,
  ) {}
  async bearer(): Promise<undefined> {
    return undefined;
  }
}

export class GrantCredential implements SessionCredential {
  readonly user: PublicKey;
  readonly grant: VerifiedGrant;
  private token: string | undefined;
  private expiresAt = 0;
  private refreshing: Promise<string> | null = null;
  info: GrantSessionInfo | null = null;

  constructor(
    private readonly http: PubkyHttp,
    grant: VerifiedGrant,
    readonly clientKeypair: Keypair,
    readonly homeserver: PublicKey,
    token?: { token: string; expiresAt: number },
  ) {
    this.grant = grant;
    this.user = grant.issuer;
    if (token) {
      this.token = token.token;
      this.expiresAt = token.expiresAt;
    }
  }

  get tokenExpiresAt(): number {
    return this.expiresAt;
  }
  get currentToken(): string | undefined {
    return this.token;
  }

  async bearer(signal?: AbortSignal): Promise<string> {
    if (this.token && Date.now() / 1000 < this.expiresAt - REFRESH_MARGIN_S) return this.token;
    return this.refresh(signal);
  }

  /** Exchanges the grant with a fresh PoP for a new bearer (`POST /auth/grant/session`). */
  refresh(signal?: AbortSignal): Promise<string> {
    if (!this.refreshing) {
      this.refreshing = this.exchange(signal).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async exchange(signal?: AbortSignal): Promise<string> {
    const pop = createPop(this.clientKeypair, this.homeserver, this.grant.claims.jti);
    const res = await this.http.request({
      method: 'POST',
      homeserver: this.homeserver,
      owner: this.user,
      path: '/auth/grant/session',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant: this.grant.jws, pop }),
      anonymous: true,
      signal,
    });
    if (!res.ok) throw await httpError(res, 'POST');
    const { token, session } = parseGrantSessionResponse(await readTextLimited(res, 64 * 1024, tooLarge));
    this.token = token;
    this.expiresAt = session.token_expires_at;
    this.info = session;
    return token;
  }
}

interface CookieExport {
  v: 1;
  kind: 'cookie';
  user: string;
  homeserver: string;
  /** The cookie value; absent in browsers, where the cookie is HttpOnly in the browser's store. */
  secret?: string;
}
interface GrantExport {
  v: 1;
  kind: 'grant';
  user: string;
  homeserver: string;
  grant: string;
  clientSecret: string;
  token?: string;
  tokenExpiresAt?: number;
}
export type SessionExport = CookieExport | GrantExport;

export class Session {
  readonly kind: SessionKind;
  readonly storage: SessionStorage;
  details: SessionDetails;

  constructor(
    private readonly http: PubkyHttp,
    readonly credential: CookieCredential | GrantCredential,
    details: SessionDetails,
  ) {
    this.kind = credential instanceof GrantCredential ? 'grant' : 'cookie';
    this.details = details;
    this.storage = new SessionStorage(http, credential);
  }

  /** The signed-in user. */
  get publicKey(): PublicKey {
    return this.credential.user;
  }
  get homeserver(): PublicKey {
    return this.credential.homeserver;
  }
  get capabilities(): string[] {
    return this.details.capabilities;
  }

  /**
   * Streams events like `pubky.events()`, authenticated as this session: with exactly one user (this
   * one) it can follow private paths (`paths: ['/priv/app/']`).
   */
  events(options: EventsOptions): AsyncGenerator<PubkyEvent, void, undefined> {
    return streamEvents(this.http, options, this.credential);
  }

  /**
   * Asks the homeserver whether the session still holds (`GET /session`, or
   * `GET /auth/grant/session`). Answers false when it is gone (401/404); other failures throw.
   */
  async revalidate(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const details = await fetchSessionDetails(this.http, this.credential, options.signal);
    if (!details) return false;
    this.details = details;
    return true;
  }

  /** Ends the session on the homeserver (for grants this revokes the whole grant) and forgets it here. */
  async signout(options: { signal?: AbortSignal } = {}): Promise<void> {
    const c = this.credential;
    if (c instanceof GrantCredential) {
      const res = await this.http.request({
        method: 'DELETE',
        homeserver: c.homeserver,
        owner: c.user,
        path: '/auth/grant/session',
        bearer: await c.bearer(options.signal),
        anonymous: true,
        signal: options.signal,
      });
      if (!res.ok) throw await httpError(res, 'DELETE');
      await res.body?.cancel().catch(() => {});
      return;
    }
    const res = await this.http.request({
      method: 'DELETE',
      homeserver: c.homeserver,
      owner: c.user,
      path: '/session',
      signal: options.signal,
    });
    if (!res.ok) throw await httpError(res, 'DELETE');
    await res.body?.cancel().catch(() => {});
    const { origin } = await this.http.endpoint(c.homeserver);
    this.http.cookies.delete(origin, c.user.z32);
  }

  /**
   * A string that `pubky.restoreSession()` turns back into this session. It holds the session secret
   * (cookie value or grant + client key): store it like a password.
   */
  export(): string {
    const c = this.credential;
    let data: SessionExport;
    if (c instanceof GrantCredential) {
      data = {
        v: 1,
        kind: 'grant',
        user: c.user.z32,
        homeserver: c.homeserver.z32,
        grant: c.grant.jws,
        clientSecret: bytesToHex(c.clientKeypair.secretKey),
      };
      if (c.currentToken) {
        data.token = c.currentToken;
        data.tokenExpiresAt = c.tokenExpiresAt;
      }
    } else {
      data = { v: 1, kind: 'cookie', user: c.user.z32, homeserver: c.homeserver.z32 };
      const secret = this.http.cookieMode === 'jar' ? this.cookieSecret() : undefined;
      if (secret) data.secret = secret;
    }
    return EXPORT_PREFIX + base64urlEncode(utf8Encode(JSON.stringify(data)));
  }

  private cookieSecret(): string | undefined {
    const c = this.credential;
    if (!(c instanceof CookieCredential) || !c.origin) return undefined;
    return this.http.cookies.get(c.origin, c.user.z32)?.value;
  }
}

export function parseSessionExport(text: string): SessionExport {
  const bad = (why: string) => new ClientError('invalid_session_export', `not an exported session: ${why}`);
  if (typeof text !== 'string' || !text.startsWith(EXPORT_PREFIX)) throw bad(`expected text starting with ${EXPORT_PREFIX}`);
  if (text.length > 32 * 1024) throw bad('too long');
  let data: {
    v?: unknown;
    kind?: unknown;
    user?: unknown;
    homeserver?: unknown;
    secret?: unknown;
    grant?: unknown;
    clientSecret?: unknown;
    token?: unknown;
    tokenExpiresAt?: unknown;
  };
  try {
    data = JSON.parse(utf8Decode(base64urlDecode(text.slice(EXPORT_PREFIX.length))));
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (typeof data !== 'object' || data === null || data.v !== 1) throw bad('unknown version');
  if (typeof data.user !== 'string' || typeof data.homeserver !== 'string') throw bad('user and homeserver are required');
  try {
    PublicKey.parseZ32(data.user);
    PublicKey.parseZ32(data.homeserver);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (data.kind === 'cookie') {
    if (
      data.secret !== undefined &&
      (typeof data.secret !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(data.secret) || /[;,"\\]/.test(data.secret))
    ) {
      throw bad('the cookie secret is malformed');
    }
    return data as unknown as CookieExport;
  }
  if (data.kind === 'grant') {
    if (typeof data.grant !== 'string' || typeof data.clientSecret !== 'string' || !/^[0-9a-f]{64}$/.test(data.clientSecret)) {
      throw bad('a grant session needs the grant and the 32-byte client secret');
    }
    if (data.token !== undefined && (typeof data.token !== 'string' || typeof data.tokenExpiresAt !== 'number')) {
      throw bad('the bearer token is malformed');
    }
    return data as unknown as GrantExport;
  }
  throw bad('unknown kind');
}

/** Rebuilds the credential of an exported session (no network). */
export function credentialFromExport(http: PubkyHttp, data: SessionExport): CookieCredential | GrantCredential {
  const user = PublicKey.parseZ32(data.user);
  const homeserver = PublicKey.parseZ32(data.homeserver);
  if (data.kind === 'cookie') return new CookieCredential(user, homeserver);
  const client = Keypair.fromSecretKey(hexToBytes(data.clientSecret));
  const grant = verifyGrant(data.grant, { expectedClientKey: client.publicKey });
  if (!grant.issuer.equals(user)) throw new ClientError('invalid_session_export', 'the grant was issued by another user');
  const token = data.token && data.tokenExpiresAt !== undefined ? { token: data.token, expiresAt: data.tokenExpiresAt } : undefined;
  return new GrantCredential(http, grant, client, homeserver, token);
}

/** `GET /session` (cookie) or `GET /auth/grant/session` (bearer); null when the session is gone. */
export async function fetchSessionDetails(
  http: PubkyHttp,
  credential: CookieCredential | GrantCredential,
  signal?: AbortSignal,
): Promise<SessionDetails | null> {
  if (credential instanceof GrantCredential) {
    let bearer: string;
    try {
      bearer = await credential.bearer(signal);
    } catch (e) {
      if ((e as { status?: number }).status === 401 || (e as { status?: number }).status === 404) return null;
      throw e;
    }
    const res = await http.request({
      homeserver: credential.homeserver,
      owner: credential.user,
      path: '/auth/grant/session',
      bearer,
      anonymous: true,
      signal,
    });
    if (res.status === 401 || res.status === 404) {
      await res.body?.cancel().catch(() => {});
      return null;
    }
    if (!res.ok) throw await httpError(res, 'GET');
    let info: GrantSessionInfo;
    try {
      info = parseGrantSessionInfo(JSON.parse(await readTextLimited(res, 64 * 1024, tooLarge)));
    } catch (e) {
      throw e instanceof ClientError ? e : new ClientError('invalid_response', 'GET /auth/grant/session did not answer JSON');
    }
    credential.info = info;
    return { publicKey: credential.user, capabilities: info.capabilities, createdAt: info.created_at };
  }
  const res = await http.request({ homeserver: credential.homeserver, owner: credential.user, path: '/session', signal });
  // The newest servers answer 401 for "no session", 0.6.0 answered 404.
  if (res.status === 401 || res.status === 404) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.ok) throw await httpError(res, 'GET');
  return detailsFromSessionInfo(new Uint8Array(await res.arrayBuffer()));
}

export function detailsFromSessionInfo(bytes: Uint8Array): SessionDetails {
  try {
    const info = decodeSessionInfo(bytes);
    return { publicKey: info.publicKey, capabilities: info.capabilities, createdAt: info.createdAt };
  } catch (e) {
    throw new ClientError('invalid_response', `the homeserver sent a malformed SessionInfo: ${(e as Error).message}`, { cause: e });
  }
}
