import {
  base64Decode,
  BEARER_TOKEN,
  createPop,
  grantIdOf,
  parseEventMessage,
  parseSseStream,
  PubkyError,
  type Keypair,
  type PublicKey,
  type PubkyEvent,
} from '@pubky-ts/common';
import { selectHomeserverEndpoint, type Pkarr } from '@pubky-ts/pkarr';

/**
 * A failure talking to the primary; `status` is the primary's HTTP status when it answered. The
 * code is the one `PUT /mirror` answers it with (502 either way).
 */
export class PrimaryError extends PubkyError {
  declare readonly code: 'MIRROR_PRIMARY_UNREACHABLE' | 'MIRROR_PRIMARY_REFUSED';
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(status === null ? 'MIRROR_PRIMARY_UNREACHABLE' : 'MIRROR_PRIMARY_REFUSED', message);
    this.name = 'PrimaryError';
  }
}

/** How long one request to the primary may take before its headers arrive. */
const REQUEST_TIMEOUT_MS = 15_000;
const LOCALHOST_HTTP = new Set(['localhost']);

/** Percent-encodes each segment of a canonical storage path for a request line. */
export function encodeStoragePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** Decodes an event's `content_hash` (standard base64 of 32 bytes); null when malformed. */
export function decodeContentHash(b64: string | null): Uint8Array | null {
  if (b64 === null) return null;
  try {
    const bytes = base64Decode(b64);
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

async function readText(res: Response, max = 500): Promise<string> {
  try {
    return (await res.text()).slice(0, max).trim();
  } catch {
    return '';
  }
}

/**
 * Reaches a user's primary homeserver: its HTTP endpoint from its PKARR packet (chosen as the SDK
 * chooses it, resolved through this homeserver's own pkarr client and its cache), the grant
 * exchange with a PoP signed by this homeserver's key, the user's event stream and files.
 */
export class PrimaryResolver {
  constructor(
    readonly pkarr: Pkarr,
    readonly keypair: Keypair,
  ) {}

  /** `http(s)://host:port` of `primary`. With `fresh`, skips every cache (after a connection failure). */
  async origin(primary: PublicKey, options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    const unresolved = (why: string) => new PrimaryError(`cannot resolve the primary ${primary.z32}: ${why}`);
    let packet;
    try {
      packet = await this.pkarr.resolve(primary, { policy: options.fresh ? 'NetworkOnly' : 'CacheFirst', signal: options.signal });
    } catch (e) {
      throw unresolved((e as Error).message);
    }
    if (!packet) throw unresolved('no PKARR packet found');
    const endpoint = selectHomeserverEndpoint(packet, LOCALHOST_HTTP);
    if (!endpoint) throw unresolved('it publishes no reachable HTTP endpoint');
    return endpoint.origin;
  }
}

/** One primary, one user: the requests a follower makes. */
export class PrimaryConnection {
  constructor(
    readonly resolver: PrimaryResolver,
    readonly primary: PublicKey,
    readonly user: string,
    readonly origin: string,
  ) {}

  static async open(
    resolver: PrimaryResolver,
    primary: PublicKey,
    user: string,
    options: { fresh?: boolean; signal?: AbortSignal } = {},
  ): Promise<PrimaryConnection> {
    return new PrimaryConnection(resolver, primary, user, await resolver.origin(primary, options));
  }

  private async request(path: string, init: RequestInit & { bearer?: string | null; timeoutMs?: number }): Promise<Response> {
    const headers: Record<string, string> = { 'pubky-host': this.user, ...(init.headers as Record<string, string> | undefined) };
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    const timeout = AbortSignal.timeout(init.timeoutMs ?? REQUEST_TIMEOUT_MS);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await fetch(`${this.origin}${path}`, { ...init, headers, signal });
    } catch (e) {
      if (init.signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new PrimaryError(
        `the primary ${this.primary.z32} at ${this.origin} did not answer: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      );
    }
  }

  /** `POST /auth/grant/session` with a PoP signed by this homeserver's key → the bearer and its expiry. */
  async exchangeGrant(grant: string, signal?: AbortSignal): Promise<{ token: string; expiresAt: number }> {
    const pop = createPop(this.resolver.keypair, this.primary, grantId(grant));
    const res = await this.request('/auth/grant/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant, pop }),
      signal,
    });
    if (!res.ok) throw new PrimaryError(`the primary refused the grant: ${res.status} ${await readText(res)}`, res.status);
    let body: { token?: unknown; session?: { token_expires_at?: unknown } };
    try {
      body = JSON.parse(await res.text());
    } catch {
      throw new PrimaryError('the primary answered the grant exchange with something that is not JSON');
    }
    const token = body?.token;
    const expiresAt = body?.session?.token_expires_at;
    if (typeof token !== 'string' || !BEARER_TOKEN.test(token) || typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt)) {
      throw new PrimaryError('the primary answered the grant exchange without a valid bearer');
    }
    return { token, expiresAt };
  }

  private streamQuery(cursor: string, withPrivate: boolean, extra: string): string {
    const q = new URLSearchParams();
    q.append('user', cursor === '' ? this.user : `${this.user}:${cursor}`);
    q.append('path', '/pub/');
    if (withPrivate) q.append('path', '/priv/');
    return `/events-stream?${q.toString()}${extra}`;
  }

  /** The newest event of the user at the primary (in the mirrored scope), or null when there is none. */
  async latestEvent(withPrivate: boolean, bearer: string | null, signal?: AbortSignal): Promise<PubkyEvent | null> {
    const res = await this.request(this.streamQuery('', withPrivate, '&reverse=true&limit=1'), { bearer, signal });
    if (!res.ok) throw new PrimaryError(`the primary answered ${res.status} to the event stream: ${await readText(res)}`, res.status);
    let last: PubkyEvent | null = null;
    for await (const msg of parseSseStream(res.body ?? new ReadableStream())) {
      last = parseEventMessage(msg);
    }
    return last;
  }

  /** The live event stream from `cursor` (exclusive). Ends when the primary closes it. */
  async *events(
    cursor: string,
    withPrivate: boolean,
    bearer: string | null,
    signal: AbortSignal,
  ): AsyncGenerator<PubkyEvent, void, undefined> {
    const res = await this.request(this.streamQuery(cursor, withPrivate, '&live=true'), {
      bearer,
      signal,
      headers: { accept: 'text/event-stream' },
    });
    if (!res.ok) throw new PrimaryError(`the primary answered ${res.status} to the event stream: ${await readText(res)}`, res.status);
    if (!res.body) return;
    for await (const msg of parseSseStream(res.body)) {
      const ev = parseEventMessage(msg);
      if (ev.user.z32 !== this.user) throw new PrimaryError(`the primary sent an event of another user (${ev.user.z32})`);
      yield ev;
    }
  }

  /** GET of a file; the caller reads (or cancels) the body. */
  get(path: string, bearer: string | null, signal?: AbortSignal): Promise<Response> {
    return this.request(encodeStoragePath(path), { bearer, signal });
  }

  /** The primary's current ETag of `path`, or null when it has no such file. */
  async headEtag(path: string, bearer: string | null, signal?: AbortSignal): Promise<string | null> {
    const res = await this.request(encodeStoragePath(path), { method: 'HEAD', bearer, signal });
    await res.body?.cancel();
    if (res.status === 404) return null;
    if (!res.ok) throw new PrimaryError(`the primary answered ${res.status} to HEAD ${path}`, res.status);
    return res.headers.get('etag');
  }
}

/** The `jti` of a grant (already verified by the caller). */
function grantId(grant: string): string {
  try {
    return grantIdOf(grant);
  } catch (e) {
    throw new PrimaryError(`the grant has no id: ${(e as PubkyError).message}`);
  }
}
