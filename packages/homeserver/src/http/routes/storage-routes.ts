import { Readable } from 'node:stream';
import type { PublicKey, StoragePath } from '@pubky-ts/common';
import type { HttpDeps } from '../context.ts';
import type { HttpApp } from '../core/http-app.ts';
import type { HttpReply } from '../core/http-reply.ts';
import type { HttpRequest } from '../core/http-request.ts';
import { authorizePrivateRead, authorizeWrite, readAccess } from '../../auth/authorize.ts';
import { peekCookieSession, resolveSession, type AuthSession } from '../../auth/session.ts';
import type { FileEntry, UserRecord, WholeBody } from '../../storage/types.ts';
import { pacedBody, pacedResponse, type Pacer } from '../bandwidth.ts';
import { declaredLength, streamBody, wholeBody, WHOLE_BODY_MAX_BYTES } from '../body.ts';
import { HttpError, httpError } from '../errors.ts';
import { rangeSelector, setLengthHeaders } from '../range.ts';
import { writeCondition } from '../write-preconditions.ts';
import { lenientLimit, listCursor, parseQueryOr400, strictBool } from '../query.ts';
import { readCookie } from '../cookies.ts';
import { clientIp } from '../rate-limit.ts';
import { legacyStoragePath } from '../tenant.ts';
import { queryGet } from '../url.ts';
import { missingTenant } from './session-routes.ts';

/** Any `pubky-host` key in the query string (with or without a value). */
const PUBKY_HOST_QUERY = /(?:^|&)pubky-host(?:=|&|$)/;

function session(request: HttpRequest, deps: HttpDeps, optimistic = false): Promise<AuthSession | null> {
  request.sessionPromise ??= resolveSession(deps.store, request.headers, request.target.tenant, { nowSeconds: deps.nowSeconds(), optimistic });
  return request.sessionPromise;
}

/**
 * What an optimistic `session()` would resolve to, without a promise, when memory alone can tell
 * (a request without Authorization: its cookie session, or none); undefined otherwise.
 */
function peekedSession(request: HttpRequest, deps: HttpDeps): AuthSession | null | undefined {
  if (request.headers.authorization !== undefined) return undefined;
  return peekCookieSession(deps.store, request.headers, request.target.tenant);
}

function storagePath(request: HttpRequest): StoragePath {
  const t = request.target;
  return t.addressing === 'path' ? t.storagePath : legacyStoragePath(request.rawPath);
}

function tenantOf(request: HttpRequest): PublicKey {
  const tenant = request.target.tenant;
  if (!tenant) throw missingTenant();
  return tenant;
}

let lastDate = { seconds: -1, text: '' };
function httpDate(micros: number): string {
  const seconds = Math.floor(micros / 1e6);
  if (lastDate.seconds !== seconds) lastDate = { seconds, text: new Date(seconds * 1000).toUTCString() };
  return lastDate.text;
}

/** If-None-Match alone decides when present (exact, comma-split); else If-Modified-Since (seconds). */
export function notModified(request: Pick<HttpRequest, 'headers'>, entry: FileEntry): boolean {
  const inm = request.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((t) => t.trim() === entry.etag);
  const ims = request.headers['if-modified-since'];
  if (ims === undefined) return false;
  const t = Date.parse(ims);
  if (Number.isNaN(t)) return false;
  return Math.floor(t / 1000) >= Math.floor(entry.modifiedAt / 1e6);
}

function fileHeaders(reply: HttpReply, request: HttpRequest, entry: FileEntry): void {
  reply.header('etag', entry.etag);
  reply.header('last-modified', httpDate(entry.modifiedAt));
  reply.header('cache-control', 'private, must-revalidate');
  if (request.target.addressing === 'legacy') reply.header('vary', 'pubky-host');
}

/** A storage handler: answers through `reply` (or throws for the error handler). */
export type StorageHandler = (request: HttpRequest, reply: HttpReply) => Promise<void>;

export interface StorageHandlers {
  /** GET and HEAD of files and directories. */
  read: StorageHandler;
  put: StorageHandler;
  delete: StorageHandler;
}

/** The storage handlers for both addressings (spec §1.7, §2; delta §2). */
export function createStorageHandlers(deps: HttpDeps): StorageHandlers {
  const { files } = deps.store;
  const maxFile = deps.config.drive.maxFileBytes;
  const bandwidth = deps.bandwidth;

  /**
   * Bandwidth pacing of this request's file body (spec §8.1): per session user when the request
   * has a session (`s`, or resolved here when it carries credentials), else per client IP when
   * anonymous reads are throttled; null when nothing applies. Credentials that do not resolve
   * make a read anonymous, never fail it. Pacing authorises nothing, so a read's session may come
   * from memory unconfirmed (the session the request already resolved, if any, is used as is).
   * Synchronous unless a lookup is needed: an uncredentialed read and a cookie write pay no promise.
   */
  function pacerFor(request: HttpRequest, direction: 'read' | 'write', s?: AuthSession | null): Pacer | null | Promise<Pacer | null> {
    if (s === undefined) {
      const h = request.headers;
      if (h.authorization === undefined) {
        if (h.cookie === undefined) return anonymousPacer(request);
        const peeked = peekCookieSession(deps.store, h, request.target.tenant);
        if (peeked !== undefined) return pacerFor(request, direction, peeked);
      }
      const resolving =
        request.sessionPromise ?? resolveSession(deps.store, h, request.target.tenant, { nowSeconds: deps.nowSeconds(), optimistic: true });
      return resolving.then(
        (found) => pacerFor(request, direction, found),
        () => anonymousPacer(request),
      );
    }
    if (!s) return anonymousPacer(request);
    if (s.kind === 'cookie' && s.account) return bandwidth.forUser(s.account, direction);
    return deps.store.users.get(s.user).then((user) => (user ? bandwidth.forUser(user, direction) : anonymousPacer(request)));
  }

  /** storage_request_count (delta §10), when metrics are on: how the request named its tenant and authenticated. */
  function countRequest(request: HttpRequest): void {
    const metrics = deps.metrics;
    const tenant = request.target.tenant;
    if (!metrics || !tenant) return;
    const h = request.headers;
    const host = h['pubky-host'];
    const auth = h.authorization;
    metrics.storageRequests.inc({
      addressing_mode: request.target.addressing,
      pubky_host_header: host === undefined ? 'absent' : typeof host === 'string' && host.trim() === tenant.z32 ? 'matching' : 'other',
      pubky_host_query: PUBKY_HOST_QUERY.test(request.rawQuery) ? 'true' : 'false',
      auth_method: typeof auth === 'string' && auth.startsWith('Bearer ') ? 'grant' : h.cookie !== undefined && readCookie(h, tenant.z32) ? 'cookie' : 'none',
    });
  }

  function anonymousPacer(request: HttpRequest): Pacer | null {
    return bandwidth.pacesAnonymous ? bandwidth.forAnonymous(clientIp(request.headers, request.socket.remoteAddress)) : null;
  }

  async function read(request: HttpRequest, reply: HttpReply): Promise<void> {
    countRequest(request);
    const tenant = tenantOf(request);
    const sp = storagePath(request);
    if (readAccess(sp.path) === 'private') authorizePrivateRead(await session(request, deps), tenant, sp.path);
    const head = request.method === 'HEAD';
    if (sp.isDirectory) {
      if (head) throw httpError('NOT_FOUND');
      const q = parseQueryOr400(request.rawQuery);
      const reverse = strictBool(queryGet(q, 'reverse'));
      const shallow = strictBool(queryGet(q, 'shallow'));
      const cursor = listCursor(queryGet(q, 'cursor'));
      const limit = lenientLimit(queryGet(q, 'limit'));
      const paths = await files.list(tenant.z32, sp.path, { limit, cursor, reverse, shallow });
      if (paths === null) throw httpError('DIRECTORY_NOT_FOUND');
      if (request.target.addressing === 'legacy') reply.header('vary', 'pubky-host');
      const prefix = `pubky://${tenant.z32}`;
      reply.type('text/plain').send(paths.map((p) => prefix + p).join('\n'));
      return;
    }
    const conditional = request.headers['if-none-match'] !== undefined || request.headers['if-modified-since'] !== undefined;
    if (head || conditional) {
      const entry = await files.head(tenant.z32, sp.path);
      if (!entry) throw httpError('NOT_FOUND');
      fileHeaders(reply, request, entry);
      if (notModified(request, entry)) {
        reply.code(304).send();
        return;
      }
      if (head) {
        setLengthHeaders(reply, entry, null).type(entry.contentType);
        reply.send();
        return;
      }
    }
    const range = rangeSelector(request.headers);
    const content = await (range ? files.get(tenant.z32, sp.path, { range }) : files.get(tenant.z32, sp.path));
    if (!content) throw httpError('NOT_FOUND');
    const entry = content.entry;
    fileHeaders(reply, request, entry);
    setLengthHeaders(reply, entry, content.range).type(entry.contentType);
    const pacing = pacerFor(request, 'read');
    const pacer = pacing instanceof Promise ? await pacing : pacing;
    if (pacer) {
      reply.send(pacedResponse(content.inline ?? content.body, pacer));
      return;
    }
    if (content.inline) {
      const b = content.inline;
      reply.send(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    } else {
      const body = content.body as AsyncIterable<Uint8Array> & { pipe?: unknown };
      reply.send(typeof body.pipe === 'function' ? body : Readable.from(body, { objectMode: false }));
    }
  }

  /** Session (401) → tenant (400) → path (400) → permission (403), the reference's extractor order. */
  async function writeTarget(request: HttpRequest): Promise<{ tenant: PublicKey; path: string; requestUser: UserRecord | undefined }> {
    return checkWrite(request, await session(request, deps));
  }

  function checkWrite(request: HttpRequest, s: AuthSession | null): { tenant: PublicKey; path: string; requestUser: UserRecord | undefined } {
    if (!s) throw httpError('NO_SESSION');
    const tenant = tenantOf(request);
    const sp = storagePath(request);
    if (sp.isDirectory) {
      throw request.target.addressing === 'path'
        ? httpError('NOT_A_FILE')
        : httpError('INVALID_URL', 'target path must be a file');
    }
    authorizeWrite(s, tenant, sp.path);
    return { tenant, path: sp.path, requestUser: s.kind === 'cookie' ? s.account : undefined };
  }

  // Built once: closures created per request cost a `__name` call each under tsx.
  const tooLarge = (): HttpError => httpError('BODY_TOO_LARGE', `File is too large (limit ${maxFile} bytes)`).withHeaders({ connection: 'close' });
  const idleMs = deps.config.drive.bodyIdleTimeoutMs;

  /**
   * PUT. A small declared body is read once and can be offered again, so its first attempt may be
   * optimistic: session and user taken from memory without asking the database about other
   * writers (a read transaction), confirmed instead by the commit (`authStamp`). Any failure of an
   * optimistic attempt — a check that failed on records that may be stale, or a commit that found
   * them changed — is forgotten and the request is answered by a checked attempt, exactly as if
   * it had been the only one. An acknowledged write was always authorised by current records.
   */
  async function put(request: HttpRequest, reply: HttpReply): Promise<void> {
    countRequest(request);
    const size = declaredLength(request.raw);
    const limits = { maxBytes: maxFile, idleMs, tooLarge };
    const small = size !== null && size <= WHOLE_BODY_MAX_BYTES;
    const { ifMatch, ifNoneMatch } = writeCondition(request.headers);
    let whole: WholeBody | undefined;
    let optimistic = small;
    for (;;) {
      const s = (optimistic ? peekedSession(request, deps) : undefined) ?? (await session(request, deps, optimistic));
      const authStamp = s?.kind === 'cookie' ? s.stamp : undefined;
      try {
        const { tenant, path, requestUser } = checkWrite(request, s);
        if (maxFile !== null && size !== null && size > maxFile) throw tooLarge();
        const pacing = pacerFor(request, 'write', s);
        const pacer = pacing instanceof Promise ? await pacing : pacing;
        // A client that disconnects mid-upload makes the body iteration throw, which aborts the put.
        try {
          const body = small ? (whole ??= wholeBody(request.raw, size, limits)) : streamBody(request.raw, limits);
          const entry = await files.put(tenant.z32, path, pacer ? pacedBody(body, pacer) : body, { sizeHint: size ?? undefined, requestUser, authStamp, ifMatch, ifNoneMatch });
          reply.header('etag', entry.etag);
        } catch (e) {
          // An error before the body was read (409, 507, 413…): close instead of draining the upload.
          if (authStamp === undefined && !request.raw.complete) reply.header('connection', 'close');
          throw e;
        }
        reply.code(201).send();
        return;
      } catch (e) {
        if (authStamp === undefined) throw e;
        request.sessionPromise = undefined;
        optimistic = false;
      }
    }
  }

  async function del(request: HttpRequest, reply: HttpReply): Promise<void> {
    countRequest(request);
    const { tenant, path, requestUser } = await writeTarget(request);
    const { ifMatch, ifNoneMatch } = writeCondition(request.headers);
    await files.delete(tenant.z32, path, { requestUser, ifMatch, ifNoneMatch });
    reply.code(204).send();
  }

  return { read, put, delete: del };
}

const methodNotAllowed = async (): Promise<void> => {
  throw httpError('METHOD_NOT_ALLOWED');
};

/** Storage routes: GET, HEAD, PUT, DELETE of any path, 405 for the other methods with a body. */
export function registerStorageRoutes(app: HttpApp, deps: HttpDeps): void {
  const handlers = createStorageHandlers(deps);
  app.route({ method: ['GET', 'HEAD'], url: '/*', handler: handlers.read });
  app.put('/*', handlers.put);
  app.delete('/*', handlers.delete);
  app.route({ method: ['POST', 'PATCH', 'OPTIONS'], url: '/*', handler: methodNotAllowed });
}
