// Reads that fall back to mirrors, part of the HTTP transport: when a user's primary homeserver does
// not answer a read of public data in time, the user's mirrors (further `_pubky` records) are asked,
// and a body from a mirror is believed only when its BLAKE3 equals the ETag the mirror sent.
import { createBlake3, etagOfHash, type PublicKey } from '@pubky-ts/common';
import { ClientError, PkarrResolutionError, PubkyHttpError } from './errors.ts';
import { httpError, PRIMARY_DOWN_MS, type HomeserverRequest, type PubkyHttp } from './http.ts';

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
async function verifyingStream(
  body: ReadableStream<Uint8Array>,
  etag: string,
  mirror: PublicKey,
  what: string,
): Promise<ReadableStream<Uint8Array>> {
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
          throw new ClientError(
            'integrity_error',
            `the mirror ${mirror.z32} served ${what} with BLAKE3 ${got}, not its ETag ${etag}: not believed`,
          );
        }
      },
    }),
  );
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
    return {
      failure: timer.fired
        ? new ClientError('network_error', `${method} ${what}: the homeserver sent nothing for ${ms} ms`, { cause: e })
        : e,
    };
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
async function tryMirrors(
  http: PubkyHttp,
  req: HomeserverRequest,
  mode: ReadMode,
  ms: number,
  what: string,
  mirrors: PublicKey[],
): Promise<MirrorsOutcome> {
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
  const ms = http.readTimeoutMs;
  const what = `pubky://${owner.z32}${path}`;
  const down = http.primaryDown;
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
