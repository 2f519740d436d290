import type { PublicKey, StoragePath } from '@pubky-ts/common';
import type { HttpDeps } from '../context.ts';
import type { HttpRequest } from '../core/http-request.ts';
import { authorizeWrite } from '../../auth/authorize.ts';
import { peekCookieSession, resolveSession, type AuthSession } from '../../auth/session.ts';
import type { WriteAuthority } from '../../storage/types.ts';
import type { Pacer } from '../bandwidth.ts';
import { httpError } from '../errors.ts';
import { readCookie } from '../cookies.ts';
import { clientIp } from '../rate-limit.ts';
import { legacyStoragePath } from '../tenant.ts';
import { missingTenant } from './session-routes.ts';

/** Any `pubky-host` key in the query string (with or without a value). */
const PUBKY_HOST_QUERY = /(?:^|&)pubky-host(?:=|&|$)/;

/** What a storage write addresses, once session, tenant, path and permission are checked. */
export interface WriteTarget {
  tenant: PublicKey;
  path: string;
  /** The writer's record and stamp as read with the session (cookie sessions), for the storage layers. */
  authority: WriteAuthority | undefined;
}

/**
 * What the storage handlers ask of a request, in one place: its session (memoised on the
 * request), tenant, storage path, bandwidth pacer, the write checks in the reference's order, and
 * the storage_request_count metric. Built once per app.
 */
export class StorageRequests {
  constructor(private readonly deps: HttpDeps) {}

  session(request: HttpRequest, optimistic = false): Promise<AuthSession | null> {
    const { deps } = this;
    request.sessionPromise ??= resolveSession(deps.store, request.headers, request.target.tenant, {
      nowSeconds: deps.nowSeconds(),
      optimistic,
    });
    return request.sessionPromise;
  }

  /**
   * What an optimistic `session()` would resolve to, without a promise, when memory alone can tell
   * (a request without Authorization: its cookie session, or none); undefined otherwise.
   */
  peekedSession(request: HttpRequest): AuthSession | null | undefined {
    if (request.headers.authorization !== undefined) return undefined;
    return peekCookieSession(this.deps.store, request.headers, request.target.tenant);
  }

  storagePath(request: HttpRequest): StoragePath {
    const t = request.target;
    return t.addressing === 'path' ? t.storagePath : legacyStoragePath(request.rawPath);
  }

  tenantOf(request: HttpRequest): PublicKey {
    const tenant = request.target.tenant;
    if (!tenant) throw missingTenant();
    return tenant;
  }

  /**
   * Bandwidth pacing of this request's file body (spec §8.1): per session user when the request
   * has a session (`s`, or resolved here when it carries credentials), else per client IP when
   * anonymous reads are throttled; null when nothing applies. Credentials that do not resolve
   * make a read anonymous, never fail it. Pacing authorises nothing, so a read's session may come
   * from memory unconfirmed (the session the request already resolved, if any, is used as is).
   * Synchronous unless a lookup is needed: an uncredentialed read and a cookie write pay no promise.
   */
  pacerFor(request: HttpRequest, direction: 'read' | 'write', s?: AuthSession | null): Pacer | null | Promise<Pacer | null> {
    if (s === undefined) {
      const h = request.headers;
      if (h.authorization === undefined) {
        if (h.cookie === undefined) return this.anonymousPacer(request);
        const peeked = peekCookieSession(this.deps.store, h, request.target.tenant);
        if (peeked !== undefined) return this.pacerFor(request, direction, peeked);
      }
      const resolving =
        request.sessionPromise ??
        resolveSession(this.deps.store, h, request.target.tenant, { nowSeconds: this.deps.nowSeconds(), optimistic: true });
      return resolving.then(
        (found) => this.pacerFor(request, direction, found),
        () => this.anonymousPacer(request),
      );
    }
    if (!s) return this.anonymousPacer(request);
    const { bandwidth } = this.deps;
    if (s.kind === 'cookie' && s.account) return bandwidth.forUser(s.account, direction);
    return this.deps.store.users.get(s.user).then((user) => (user ? bandwidth.forUser(user, direction) : this.anonymousPacer(request)));
  }

  /** storage_request_count (delta §10), when metrics are on: how the request named its tenant and authenticated. */
  countRequest(request: HttpRequest): void {
    const metrics = this.deps.metrics;
    const tenant = request.target.tenant;
    if (!metrics || !tenant) return;
    const h = request.headers;
    const host = h['pubky-host'];
    const auth = h.authorization;
    metrics.storageRequests.inc({
      addressing_mode: request.target.addressing,
      pubky_host_header: host === undefined ? 'absent' : typeof host === 'string' && host.trim() === tenant.z32 ? 'matching' : 'other',
      pubky_host_query: PUBKY_HOST_QUERY.test(request.rawQuery) ? 'true' : 'false',
      auth_method:
        typeof auth === 'string' && auth.startsWith('Bearer ')
          ? 'grant'
          : h.cookie !== undefined && readCookie(h, tenant.z32)
            ? 'cookie'
            : 'none',
    });
  }

  private anonymousPacer(request: HttpRequest): Pacer | null {
    const { bandwidth } = this.deps;
    return bandwidth.pacesAnonymous ? bandwidth.forAnonymous(clientIp(request.headers, request.socket.remoteAddress)) : null;
  }

  /** Session (401) → tenant (400) → path (400) → permission (403), the reference's extractor order. */
  async writeTarget(request: HttpRequest): Promise<WriteTarget> {
    return this.checkWrite(request, await this.session(request));
  }

  checkWrite(request: HttpRequest, s: AuthSession | null): WriteTarget {
    if (!s) throw httpError('NO_SESSION');
    const tenant = this.tenantOf(request);
    const sp = this.storagePath(request);
    if (sp.isDirectory) {
      throw request.target.addressing === 'path' ? httpError('NOT_A_FILE') : httpError('INVALID_URL', 'target path must be a file');
    }
    authorizeWrite(s, tenant, sp.path);
    const authority = s.kind === 'cookie' && s.account ? { user: s.account, stamp: s.stamp } : undefined;
    return { tenant, path: sp.path, authority };
  }
}
