import type { HttpApp } from '../http/core/http-app.ts';
import type { HttpDeps } from '../http/context.ts';
import { httpError } from '../http/errors.ts';
import { createDavHandler } from '../webdav/dav-handler.ts';
import type { DavState } from '../webdav/dav-server.ts';
import { davStateFor } from '../webdav/user-mount.ts';
import { underMount, type DavMount } from '../webdav/dav-path.ts';

/**
 * The operator's WebDAV mount on the admin port (spec §5.1 `/dav/{…}`): `/dav/` lists the users,
 * `/dav/<z32>/pub/…` and `/dav/<z32>/priv/…` are their files. The server itself is `../webdav/`
 * (class 2: locks, dead properties, empty collections), mounted raw on the admin app. Writes are
 * admin writes (no allowed-write-path or disabled check; quota, entries and events as usual). HTTP
 * Basic auth (user `admin`, the admin password) is checked by the admin app's onRequest step.
 */

const DAV_METHODS = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK'] as const;
export const ADMIN_DAV_MOUNT: DavMount = { prefix: '/dav', user: null };

export function isDavPath(path: string): boolean {
  return underMount(ADMIN_DAV_MOUNT, path);
}

export function registerWebDav(app: HttpApp, deps: HttpDeps, state: DavState = davStateFor(deps.store)): void {
  for (const m of DAV_METHODS) app.addHttpMethod(m, { hasBody: true });
  const dav = createDavHandler({
    files: deps.store.files,
    users: deps.store.users,
    mount: ADMIN_DAV_MOUNT,
    state,
    admin: true,
    log: deps.log,
    limits: {
      maxBytes: deps.config.drive.maxFileBytes,
      idleMs: deps.config.drive.bodyIdleTimeoutMs,
      tooLarge: () =>
        httpError('BODY_TOO_LARGE', `File is too large (limit ${deps.config.drive.maxFileBytes} bytes)`).withHeaders({
          connection: 'close',
        }),
    },
  });
  app.mount('/dav', (req, res) => void dav(req, res, 'admin'));
}
