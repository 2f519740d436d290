import { HttpApp } from '../http/core/http-app.ts';
import type { HttpDeps } from '../http/context.ts';
import { appendCorsVary, applyCors } from '../http/cors.ts';
import { httpError } from '../http/errors.ts';
import { sendError } from '../http/error-handler.ts';
import { registerMirrorAdminRoutes } from '../mirror/mirror-routes.ts';
import { adminGate } from './admin-gate.ts';
import { registerAdminEventRoutes } from './routes/admin-event-routes.ts';
import { registerAdminFileRoutes } from './routes/admin-file-routes.ts';
import { registerInfoRoutes, type PublicInfo } from './routes/info-routes.ts';
import { registerSignupTokenRoutes } from './routes/signup-token-routes.ts';
import { registerUserRoutes } from './routes/user-routes.ts';
import { registerWebDav } from './webdav.ts';

export { PACKAGE_VERSION } from './routes/info-routes.ts';

/**
 * The operator API (spec §5.1) on its own port, behind `X-Admin-Password`, plus two routes beyond the
 * reference: `GET /users/{z32}/usage`, `GET /users/{z32}/pkarr` and `DELETE /users/{z32}`.
 */
export function buildAdminApp(deps: HttpDeps, publicInfo: PublicInfo): HttpApp {
  const { config } = deps;
  const app = new HttpApp({
    log: deps.log,
    headersTimeoutMs: config.drive.headersTimeoutMs,
    onRequest: (request, reply) => adminGate(request, reply, config.admin.password),
    onSend: (_request, reply) => appendCorsVary(reply),
    onBadUrl: (message, request, reply) => {
      if (applyCors(request, reply)) return;
      sendError(reply, httpError('INVALID_URL', message));
    },
  });
  registerInfoRoutes(app, deps, publicInfo);
  registerSignupTokenRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerAdminFileRoutes(app, deps);
  registerAdminEventRoutes(app, deps);
  registerMirrorAdminRoutes(app, deps);
  registerWebDav(app, deps);
  return app;
}
