// Mirrors: a second homeserver keeps a verified copy of
// the user's tree. The user's PKARR packet lists it as a further `_pubky` record after the primary;
// readers fall back to it when the primary does not answer, and believe a body from a mirror only
// when its BLAKE3 equals the ETag the mirror sent. Writes go to the primary only.
import { createBlake3, etagOfHash, Keypair, MIRROR_CLIENT_ID, parseMirrorStatus, PublicKey, type MirrorStatus } from '@pubky-ts/common';
import { homeserverOf, mirrorsOf, PUBKY_RECORD_TTL, withMirrors, type SignedPacket } from '@pubky-ts/pkarr';
import { ClientError, PkarrResolutionError, PubkyHttpError } from './errors.ts';
import { createGrant } from './grant.ts';
import { httpError, type HomeserverRequest, type PubkyHttp } from './http.ts';
import type { PubkyInternals } from './pubky.ts';
import { readTextLimited } from './read-limited.ts';
import type { Session } from './session.ts';
import type { Signer } from './signer.ts';

/** How long a read of public data waits for the primary (and for each further chunk) before a mirror is tried. */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;

export interface AddMirrorOptions {
  /** A signup token of the mirror homeserver, for a user who has no account there yet. */
  signupToken?: string | null;
  /** Mirror `/priv/` too (a read grant for the mirror's key goes with the request). Default true. */
  private?: boolean;
  /** Lifetime of that grant. Default: the SDK's grant default (2 years). */
  lifetimeSeconds?: number;
  signal?: AbortSignal;
}

export interface MirrorSetup {
  mirror: PublicKey;
  /** The user's root session on the mirror homeserver (for `mirrorStatus`, `removeMirror`). */
  session: Session;
  /** The mirror's answer to `PUT /mirror`. */
  status: MirrorStatus;
}

const ROOT_CAPS = '/:rw';
const STATUS_MAX_BYTES = 64 * 1024;

function key(k: PublicKey | string): PublicKey {
  return typeof k === 'string' ? PublicKey.parse(k) : k;
}

async function readStatus(res: Response): Promise<MirrorStatus> {
  return parseMirrorStatus(await readTextLimited(res, STATUS_MAX_BYTES, () => new ClientError('invalid_response', 'the mirror status is larger than 64 KiB')));
}

// ---- managing mirrors (the user's side) ----

async function currentPacket(pubky: PubkyInternals, user: PublicKey, signal?: AbortSignal): Promise<SignedPacket | null> {
  try {
    return await pubky.pkdns.source.resolve(user, { fresh: true, signal });
  } catch (e) {
    throw new PkarrResolutionError('pkarr_unavailable', user.z32, `could not read the current packet of ${user.z32}: ${(e as Error).message}`, { cause: e });
  }
}

function primaryOf(packet: SignedPacket | null, user: PublicKey): PublicKey {
  const primary = packet ? homeserverOf(packet) : null;
  if (!primary) {
    throw new PkarrResolutionError('homeserver_not_found', user.z32, `the PKARR packet of ${user.z32} names no primary homeserver; sign up somewhere before adding a mirror`);
  }
  return primary;
}

/** Reads the newest packet, edits its mirror list and publishes it (keeping the primary and all other records). */
async function publishMirrorList(
  pubky: PubkyInternals,
  keypair: Keypair,
  edit: (mirrors: PublicKey[]) => PublicKey[],
  signal?: AbortSignal,
): Promise<PublicKey[]> {
  const user = keypair.publicKey;
  const current = await currentPacket(pubky, user, signal);
  primaryOf(current, user);
  const mirrors = edit(mirrorsOf(current!));
  const packet = withMirrors(keypair, mirrors, current, { ttl: PUBKY_RECORD_TTL });
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await pubky.pkdns.source.publish(packet, { signal });
      pubky.pkdns.rememberMirrors(user, mirrorsOf(packet));
      return mirrorsOf(packet);
    } catch (e) {
      lastError = e;
      if (signal?.aborted) break;
    }
  }
  throw new PkarrResolutionError('publish_failed', user.z32, `could not publish the mirror records of ${user.z32}: ${(lastError as Error).message}`, { cause: lastError });
}

/** A root session on the mirror without touching `_pubky`: sign in, or sign up when there is no account. */
function mirrorRequest(session: Session, mirror: PublicKey, bearer: string | undefined): Pick<HomeserverRequest, 'homeserver' | 'owner' | 'path' | 'bearer'> {
  return { homeserver: mirror, owner: session.publicKey, path: '/mirror', ...(bearer ? { bearer } : {}) };
}

/**
 * Authorises `mirror` to keep a copy of the user's tree (contract: SDK side): a session there (sign
 * in, or sign up without publishing), a read grant for the mirror's key (unless `private: false`),
 * `PUT /mirror`, then the mirror record is added to the user's packet (after the existing mirrors).
 */
export async function addMirror(pubky: PubkyInternals, signer: Signer, mirrorKey: PublicKey | string, options: AddMirrorOptions = {}): Promise<MirrorSetup> {
  const mirror = key(mirrorKey);
  const user = signer.publicKey;
  const primary = primaryOf(await currentPacket(pubky, user, options.signal), user);
  if (primary.equals(mirror)) throw new ClientError('invalid_argument', `${mirror.z32} is the user's primary homeserver; a mirror is another one`);
  const session = await signer.sessionAt(mirror, { signupToken: options.signupToken, signal: options.signal });
  const body: { primary: string; grant?: string } = { primary: primary.z32 };
  if (options.private ?? true) {
    body.grant = createGrant(signer.keypair, { clientId: MIRROR_CLIENT_ID, clientKey: mirror, capabilities: '/:r', lifetimeSeconds: options.lifetimeSeconds });
  }
  const res = await pubky.http.request({
    ...mirrorRequest(session, mirror, await session.credential.bearer(options.signal)),
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: options.signal,
  });
  if (!res.ok) throw await httpError(res, 'PUT');
  const status = await readStatus(res);
  await publishMirrorList(pubky, signer.keypair, (list) => (list.some((m) => m.equals(mirror)) ? list : [...list, mirror]), options.signal);
  return { mirror, session, status };
}

/**
 * Takes `mirror` out of the user's packet (readers stop using it), then tells the mirror to stop
 * following (`DELETE /mirror`; the copy it holds stays the user's data there). With
 * `stopFollowing: false` only the record is removed. A mirror that was not following is fine.
 */
export async function removeMirror(
  pubky: PubkyInternals,
  signer: Signer,
  mirrorKey: PublicKey | string,
  options: { session?: Session; stopFollowing?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const mirror = key(mirrorKey);
  await publishMirrorList(pubky, signer.keypair, (list) => list.filter((m) => !m.equals(mirror)), options.signal);
  if (options.stopFollowing === false) return;
  const session = options.session ?? (await signer.signinAt(mirror, { signal: options.signal }));
  const res = await pubky.http.request({ ...mirrorRequest(session, mirror, await session.credential.bearer(options.signal)), method: 'DELETE', signal: options.signal });
  if (!res.ok && res.status !== 404) throw await httpError(res, 'DELETE');
  await res.body?.cancel().catch(() => {});
}

/**
 * How far the mirror's copy is (`GET /mirror` on the mirror), with a root session of the user there
 * (`options.session`, or a new sign-in). Null when the mirror does not follow this user.
 */
export async function mirrorStatus(
  pubky: PubkyInternals,
  signer: Signer,
  mirrorKey: PublicKey | string,
  options: { session?: Session; signal?: AbortSignal } = {},
): Promise<MirrorStatus | null> {
  const mirror = key(mirrorKey);
  const session = options.session ?? (await signer.signinAt(mirror, { signal: options.signal }));
  if (!session.homeserver.equals(mirror)) throw new ClientError('invalid_argument', `the session is on ${session.homeserver.z32}, not on the mirror ${mirror.z32}`);
  const res = await pubky.http.request({ ...mirrorRequest(session, mirror, await session.credential.bearer(options.signal)), method: 'GET', signal: options.signal });
  if (res.status === 404) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.ok) throw await httpError(res, 'GET');
  return readStatus(res);
}

// ---- reads that fall back to mirrors ----

const readTimeouts = new WeakMap<PubkyHttp, number>();

/** Sets how long reads of public data through `http` wait for a homeserver; 0 = no limit. */
export function setReadTimeout(http: PubkyHttp, ms: number | undefined): void {
  if (ms === undefined) return;
  if (!Number.isFinite(ms) || ms < 0) throw new ClientError('invalid_argument', 'readTimeoutMs is a number of milliseconds >= 0');
  readTimeouts.set(http, ms);
}

export function readTimeoutOf(http: PubkyHttp): number {
  return readTimeouts.get(http) ?? DEFAULT_READ_TIMEOUT_MS;
}

/** How a read uses the body: buffered (verified on a mirror), streamed (verified at its end), none. */
export type ReadMode = 'body' | 'stream' | 'head' | 'list';

/** A timer that aborts a request when the server is silent for `ms` (0 = never). */
class IdleTimer {
  readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | null = null;
  fired = false;
  constructor(private readonly ms: number) {
    this.arm();
  }
  arm(): void {
    this.clear();
    if (this.ms <= 0) return;
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new ClientError('network_error', `no answer within ${this.ms} ms`));
    }, this.ms);
  }
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
  signal(outer: AbortSignal | undefined): AbortSignal {
    return outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }
}

/** Reads the whole body, re-arming the idle timer at each chunk; stops once more than `max` bytes came. */
async function readAll(res: Response, timer: IdleTimer, max = Infinity): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      timer.arm();
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (total > max) {
        await reader.cancel().catch(() => {});
        break;
      }
    }
  } finally {
    timer.clear();
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function rebuilt(res: Response, body: Uint8Array | ReadableStream<Uint8Array> | null): Response {
  return new Response(body as BodyInit | null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether a failed primary request is "the primary does not answer", so a mirror may serve the read. */
function primaryUnreachable(e: unknown, timer: IdleTimer): boolean {
  if (timer.fired) return true;
  if (e instanceof PkarrResolutionError) return e.code === 'homeserver_packet_not_found' || e.code === 'no_usable_endpoint';
  return e instanceof ClientError && e.code === 'network_error';
}

const FALLBACK_STATUSES = new Set([502, 503, 504]);
/** Listings are at most 8 MiB (storage.ts checks it); no more is buffered here. */
const LIST_MAX_BYTES = 8 * 1024 * 1024;

/** Body reads from a mirror must hash to its ETag: this stream errors at its end when they do not. */
async function verifyingStream(body: ReadableStream<Uint8Array>, etag: string, mirror: PublicKey, what: string): Promise<ReadableStream<Uint8Array>> {
  const hasher = await createBlake3();
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hasher.update(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        const got = etagOfHash(hasher.digest());
        if (got !== etag) {
          throw new ClientError('integrity_error', `the mirror ${mirror.z32} served ${what} with BLAKE3 ${got}, not its ETag ${etag}: not believed`);
        }
      },
    }),
  );
}

/** After the primary failed to answer, its users' public reads ask the mirrors first for this long. */
export const PRIMARY_DOWN_MS = 30_000;
const primaryDown = new WeakMap<PubkyHttp, Map<string, number>>();

function downMap(http: PubkyHttp): Map<string, number> {
  let m = primaryDown.get(http);
  if (!m) primaryDown.set(http, (m = new Map()));
  return m;
}

type Outcome = { res: Response } | { failure: unknown };

/** One attempt at the primary: a response to use, or why it counts as not answering (other errors throw). */
async function tryPrimary(http: PubkyHttp, req: HomeserverRequest, mode: ReadMode, ms: number, what: string): Promise<Outcome> {
  const method = (req.method ?? 'GET').toUpperCase();
  const timer = new IdleTimer(ms);
  try {
    const res = await http.request({ ...req, signal: timer.signal(req.signal) });
    if (!FALLBACK_STATUSES.has(res.status)) {
      if (mode === 'stream' || mode === 'head' || !res.ok) {
        timer.clear();
        return { res };
      }
      try {
        return { res: rebuilt(res, await readAll(res, timer, mode === 'list' ? LIST_MAX_BYTES + 1 : Infinity)) };
      } catch (e) {
        // the primary went silent or dropped the connection in the middle of the body
        if (req.signal?.aborted) throw e;
        throw new ClientError('network_error', `${method} ${what}: the body did not arrive: ${describeError(e)}`, { cause: e });
      }
    }
    timer.clear();
    return { failure: await httpError(res, method) };
  } catch (e) {
    timer.clear();
    if (req.signal?.aborted || !primaryUnreachable(e, timer)) throw e;
    return { failure: timer.fired ? new ClientError('network_error', `${method} ${what}: the homeserver sent nothing for ${ms} ms`, { cause: e }) : e };
  }
}

interface MirrorsOutcome {
  res?: Response;
  /** Mirrors whose bytes did not match their ETag (or that sent none), with why. */
  untrusted: string[];
  /** Mirrors that did not answer. */
  failures: string[];
  /** The first 4xx a mirror answered (e.g. 404: it has no such file). */
  definitive: Response | null;
}

/** The owner's mirrors in the order of their record, anonymously; the first believable 2xx wins. */
async function tryMirrors(http: PubkyHttp, req: HomeserverRequest, mode: ReadMode, ms: number, what: string, mirrors: PublicKey[]): Promise<MirrorsOutcome> {
  const method = (req.method ?? 'GET').toUpperCase();
  const out: MirrorsOutcome = { untrusted: [], failures: [], definitive: null };
  const win = async (res: Response): Promise<MirrorsOutcome> => {
    await out.definitive?.body?.cancel().catch(() => {});
    return { ...out, res, definitive: null };
  };
  for (const mirror of mirrors) {
    if (req.homeserver && mirror.equals(req.homeserver)) continue;
    const t = new IdleTimer(ms);
    try {
      const res = await http.request({
        method,
        owner: req.owner,
        homeserver: mirror,
        path: req.path,
        storagePath: req.storagePath,
        query: req.query,
        headers: req.headers,
        anonymous: true,
        signal: t.signal(req.signal),
      });
      if (!res.ok) {
        t.clear();
        if (res.status >= 500) {
          out.failures.push(`${mirror.z32}: HTTP ${res.status}`);
          await res.body?.cancel().catch(() => {});
        } else if (out.definitive === null) {
          out.definitive = res;
        } else {
          await res.body?.cancel().catch(() => {});
        }
        continue;
      }
      if (mode === 'head') {
        t.clear();
        return win(res);
      }
      if (mode === 'list') return win(rebuilt(res, await readAll(res, t, LIST_MAX_BYTES + 1)));
      const etag = res.headers.get('etag');
      const cleanEtag = etag?.startsWith('W/') ? etag.slice(2) : etag;
      if (!cleanEtag) {
        t.clear();
        await res.body?.cancel().catch(() => {});
        out.untrusted.push(`${mirror.z32} (no ETag to check the body against)`);
        continue;
      }
      if (mode === 'stream') {
        t.clear();
        const body = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
        return win(rebuilt(res, await verifyingStream(body, cleanEtag, mirror, what)));
      }
      const bytes = await readAll(res, t);
      const hasher = await createBlake3();
      hasher.update(bytes);
      const got = etagOfHash(hasher.digest());
      if (got !== cleanEtag) {
        out.untrusted.push(`${mirror.z32} (BLAKE3 of the body ${got} is not its ETag ${cleanEtag})`);
        continue;
      }
      return win(rebuilt(res, bytes));
    } catch (e) {
      t.clear();
      if (req.signal?.aborted) throw e;
      out.failures.push(`${mirror.z32}: ${t.fired ? `nothing for ${ms} ms` : describeError(e)}`);
    }
  }
  return out;
}

/**
 * Sends a read to the owner's homeserver; for public paths (`/pub/…`), when the primary does not
 * answer (network error, `readTimeoutMs` without an answer or a chunk, 502/503/504, its PKARR record
 * gone), the owner's mirrors are tried in order, anonymously. A body from a mirror is believed only
 * when its BLAKE3 equals the mirror's ETag (buffered reads: checked before returning, and a bad
 * mirror is skipped; streams: checked at the end, erroring the stream). For `PRIMARY_DOWN_MS` after
 * the primary failed, the owner's reads ask the mirrors first and the primary only when no mirror has
 * the file. Returns the response to use (any status).
 */
export async function readWithFallback(http: PubkyHttp, req: HomeserverRequest, mode: ReadMode): Promise<Response> {
  const method = (req.method ?? 'GET').toUpperCase();
  const path = req.storagePath ?? req.path;
  const owner = req.owner;
  if (!owner || !path.startsWith('/pub/') || (method !== 'GET' && method !== 'HEAD')) return http.request(req);
  const ms = readTimeoutOf(http);
  const what = `pubky://${owner.z32}${path}`;
  const down = downMap(http);
  const downUntil = down.get(owner.z32);
  const primaryKnownDown = downUntil !== undefined && downUntil > Date.now();
  if (downUntil !== undefined && !primaryKnownDown) down.delete(owner.z32);

  let primary: Outcome | null = null;
  if (!primaryKnownDown) {
    primary = await tryPrimary(http, req, mode, ms, what);
    if ('res' in primary) return primary.res;
  }
  let mirrors: PublicKey[] = [];
  try {
    mirrors = await http.pkdns.getMirrorsOf(owner, req.signal);
  } catch (e) {
    if (primary) throw (primary as { failure: unknown }).failure;
    if (req.signal?.aborted) throw e;
  }
  if (primary && mirrors.length > 0) {
    if (down.size >= 1024) down.delete(down.keys().next().value as string);
    down.set(owner.z32, Date.now() + PRIMARY_DOWN_MS);
  }
  const m = await tryMirrors(http, req, mode, ms, what, mirrors);
  if (m.res) return m.res;
  if (!primary) {
    // the primary was down a moment ago: ask it again before saying no mirror has the file
    primary = await tryPrimary(http, req, mode, ms, what);
    if ('res' in primary) {
      down.delete(owner.z32);
      await m.definitive?.body?.cancel().catch(() => {});
      return primary.res;
    }
    down.set(owner.z32, Date.now() + PRIMARY_DOWN_MS);
  }
  const primaryFailure = (primary as { failure: unknown }).failure;
  if (m.untrusted.length > 0) {
    await m.definitive?.body?.cancel().catch(() => {});
    const others = m.failures.length > 0 ? `; other mirrors failed: ${m.failures.join('; ')}` : '';
    throw new ClientError(
      'integrity_error',
      `${what}: the primary homeserver did not answer (${describeError(primaryFailure)}) and no mirror served bytes matching their hash; not believed: ${m.untrusted.join(', ')}${others}`,
      { cause: primaryFailure },
    );
  }
  if (m.definitive) return m.definitive;
  throw primaryFailure;
}
