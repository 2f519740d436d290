import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Duplex } from 'node:stream';
import type { HttpDeps } from './context.ts';
import { appendCorsVary, applyCors } from './cors.ts';
import { ERROR_CODE_HEADER, HttpError, badRequest } from './errors.ts';
import { sendError, installErrorHandling } from './error-handler.ts';
import { applyResponsePolicy, prepareClientRequest } from './client-hooks.ts';
import { installFastStorage, type FastStorageStats } from './fast-storage.ts';
import { RateLimiter } from './rate-limit.ts';
import { legacyStoragePath, resolveTarget } from './tenant.ts';
import { splitUrl } from './url.ts';
import { registerSessionRoutes } from './routes/session-routes.ts';
import { registerGrantRoutes } from './routes/grant-routes.ts';
import { createStorageHandlers, registerStorageRoutes } from './routes/storage-routes.ts';
import { registerEventRoutes } from './routes/event-routes.ts';
import { registerMirrorRoutes } from '../mirror/mirror-routes.ts';

/** Answers requests Node's HTTP parser rejects (bad request lines, header overflow) in plain text. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, `Bad Request: malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = Buffer.from(text);
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n${ERROR_CODE_HEADER}: MALFORMED_REQUEST\r\nconnection: close\r\n\r\n${text}`,
  );
}

/** Fastify options shared by the client and admin apps. */
export function baseFastifyOptions(deps: Pick<HttpDeps, 'log' | 'config'>) {
  return {
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger (request logging is off; nothing logs through request.log).
    childLoggerFactory: (logger: FastifyBaseLogger) => logger,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    clientErrorHandler,
    forceCloseConnections: 'idle' as const,
    // Our routes read bodies themselves; this only bounds what fastify would buffer.
    bodyLimit: deps.config.drive.maxBufferedBodyBytes,
    routerOptions: { maxParamLength: 4096, ignoreDuplicateSlashes: false, ignoreTrailingSlash: false },
    // The whole request may take long (large uploads); stalls are caught by the body idle timeout.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 5000,
    http: { headersTimeout: deps.config.drive.headersTimeoutMs },
  };
}

/** Makes every route read its own body: no JSON/text parsing by fastify, no 415 for unknown types. */
export function passThroughBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
}

/**
 * The client API (both addressings, auth, storage, events). Hook order mirrors delta §1.3: CORS
 * outermost (preflights never reach tenant parsing or rate limits), then request-tenant resolution,
 * then request-count limits; sessions are resolved lazily by the routes that need them.
 */
export function buildClientApp(
  deps: HttpDeps,
  options: { fastStorage?: boolean } = {},
): { app: FastifyInstance; limiter: RateLimiter; fastStorage: FastStorageStats | null } {
  const app = Fastify({
    ...baseFastifyOptions(deps),
    // URLs the router cannot decode (e.g. `%FF`) never reach the hooks: answer them here, with CORS.
    frameworkErrors: (error, request, reply) => {
      if (applyCors(request, reply)) return;
      const { path, query } = splitUrl(request.raw.url ?? '/');
      let answer: HttpError = badRequest('INVALID_URL', `Invalid URL: ${error.message}`);
      try {
        const target = resolveTarget(path, query, request.headers);
        if (target.addressing === 'legacy') legacyStoragePath(path);
      } catch (e) {
        if (e instanceof HttpError) answer = e;
      }
      appendCorsVary(reply);
      sendError(reply, answer);
    },
  });
  passThroughBodies(app);
  const limiter = new RateLimiter(deps.config.drive.rateLimits);
  const storage = createStorageHandlers(deps);
  // Storage GET/HEAD/PUT/DELETE skip fastify's routing and reply machinery (same hooks, handlers
  // and bytes on the wire); installed first so it sees every route added later.
  const fastStorage = options.fastStorage === false ? null : installFastStorage(app, deps, limiter, storage);

  app.decorateRequest('target', null as never);
  app.decorateRequest('rawPath', '');
  app.decorateRequest('rawQuery', '');
  app.decorateRequest('privacy', 'none');
  app.decorateRequest('sessionPromise', undefined);

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (prepareClientRequest(request, reply, limiter)) done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    applyResponsePolicy(request, reply);
    done(null, payload);
  });

  installErrorHandling(app, deps.log);

  app.get('/', (_req, reply) => {
    reply.type('text/plain; charset=utf-8').send('Pubky Homeserver');
  });
  app.head('/', (_req, reply) => {
    reply.type('text/plain; charset=utf-8').send();
  });
  const info = JSON.stringify({ features: ['path-addressed-storage', 'conditional-writes'] });
  for (const method of ['GET', 'HEAD'] as const) {
    app.route({
      method,
      url: '/info',
      handler: (_req, reply) => {
        reply.header('cache-control', 'no-store').type('application/json').send(method === 'GET' ? info : undefined);
      },
    });
  }

  registerSessionRoutes(app, deps);
  registerGrantRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerMirrorRoutes(app, deps);
  registerStorageRoutes(app, deps, storage);
  return { app, limiter, fastStorage };
}
