import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpApp } from '../http/core/http-app.ts';
import type { HttpDeps } from '../http/context.ts';
import { httpError } from '../http/errors.ts';
import type { HomeserverStore } from '../storage/types.ts';
import { verifyAppPassword } from './app-password.ts';
import { optionsHeaders, serveDav } from './dav-handler.ts';
import { createDavState, DavServer, type DavState } from './dav-server.ts';

/**
 * Users' own WebDAV mount on the client port: `/dav/` is the root of the signed-in user's storage
 * (`/dav/pub/…`, `/dav/priv/…`), authenticated with HTTP Basic as `<z32>` and an app password
 * (./app-password.ts), limited to that grant's capabilities and to the user's own policy (quota,
 * allowed paths, disabled). OPTIONS answers without credentials (Windows probes first).
 */
export const USER_DAV_PREFIX = '/dav';

const states = new WeakMap<HomeserverStore, DavState>();

/** The locks and dead properties of one homeserver, shared by the operator's mount and the users'. */
export function davStateFor(store: HomeserverStore): DavState {
  let s = states.get(store);
  if (!s) states.set(store, (s = createDavState()));
  return s;
}

export function registerUserWebDav(app: HttpApp, deps: HttpDeps): void {
  const state = davStateFor(deps.store);
  const limits = {
    maxBytes: deps.config.drive.maxFileBytes,
    idleMs: deps.config.drive.bodyIdleTimeoutMs,
    tooLarge: () =>
      httpError('BODY_TOO_LARGE', `File is too large (limit ${deps.config.drive.maxFileBytes} bytes)`).withHeaders({ connection: 'close' }),
  };
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== USER_DAV_PREFIX && !path.startsWith(`${USER_DAV_PREFIX}/`)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'pubky-error-code': 'NOT_FOUND' }).end('Not Found');
      return;
    }
    if (req.method === 'OPTIONS' && req.headers.authorization === undefined) {
      res.writeHead(200, { ...optionsHeaders(), 'content-length': 0 }).end();
      return;
    }
    const who = await verifyAppPassword(deps.store.grants, req.headers.authorization, deps.nowSeconds());
    const server = new DavServer({
      files: deps.store.files,
      users: deps.store.users,
      mount: { prefix: USER_DAV_PREFIX, user: who?.user ?? '' },
      state,
      limits,
      log: deps.log,
      admin: false,
      access: who ? (p, action) => who.capabilities.allows(p, action) : () => false,
    });
    if (!who) {
      server.fail(req, res, httpError('DAV_APP_PASSWORD'));
      return;
    }
    await serveDav(server, req, res, who.user);
  };
  app.mount(USER_DAV_PREFIX, (req, res) => {
    answer(req, res).catch((e: unknown) => {
      deps.log.error({ err: e }, 'webdav: user mount failed');
      res.destroy();
    });
  });
}
