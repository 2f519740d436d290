import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { HttpDeps } from '../context.ts';
import { clientErrorHandler } from './client-error.ts';
import { answerError, sendError } from '../error-handler.ts';
import { ERROR_CODE_HEADER, httpError } from '../errors.ts';
import { HttpRequest } from './http-request.ts';
import { HttpReply, type ReplyOwner } from './http-reply.ts';
import { mediaTypeOf } from './media-type.ts';

/** A route handler: answers through `reply` (or throws, for the app's error answer). */
export type Handler = (request: HttpRequest, reply: HttpReply) => void | Promise<void>;

/** A handler that takes the raw exchange over (a WebDAV server mounted under a prefix). */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpAppOptions {
  log: HttpDeps['log'];
  headersTimeoutMs: number;
  /**
   * Runs first for every request the router could read (preflights, tenant, auth, rate limits);
   * returns false when it has answered the request itself.
   */
  onRequest?: (request: HttpRequest, reply: HttpReply) => boolean;
  /** Runs right before an answer's head is written (cache policy, Vary). */
  onSend?: (request: HttpRequest, reply: HttpReply) => void;
  /**
   * Answers a URL the router cannot read (bad percent-encoding, an over-long parameter); the
   * onRequest and onSend steps do not run for it. Default: 400 INVALID_URL.
   */
  onBadUrl?: (message: string, request: HttpRequest, reply: HttpReply) => void;
}

/** Methods whose requests may carry a body: a Content-Type that does not parse is refused for them. */
const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The router's own handler slot is unused: the route travels in its store. */
const noop = (): void => {};

interface Route {
  readonly handler: Handler;
}

/**
 * One HTTP server: node:http, find-my-way for routing, and the steps every request goes through
 * written once, in order: route lookup (an unreadable URL is answered at once), onRequest,
 * raw mounts, the Content-Type check of bodies, the handler (or 404), onSend, and one error
 * answer for whatever a handler throws. Handlers read their own bodies (`request.raw`).
 */
export class HttpApp implements ReplyOwner {
  readonly server: Server;
  private readonly router = FindMyWay({
    maxParamLength: 4096,
    ignoreDuplicateSlashes: false,
    ignoreTrailingSlash: false,
    // A lookup that fails on the URL itself finds a route with no store whose handler lands here.
    onBadUrl: (path, req, res) => this.badUrl(`'${path}' is not a valid url component`, new HttpRequest(req), res),
    onMaxParamLength: (path, req, res) => this.badUrl(`'${path}' is exceeding the max param length`, new HttpRequest(req), res),
  });
  private readonly bodyMethods = new Set(BODY_METHODS);
  private readonly mounts: Array<{ prefix: string; handler: RawHandler }> = [];
  private closing = false;
  /** The owner of framework answers (bad URLs): no onSend step. */
  private readonly bare: ReplyOwner;

  constructor(private readonly options: HttpAppOptions) {
    this.server = createServer({ requestTimeout: 0, headersTimeout: options.headersTimeoutMs, keepAliveTimeout: 5000 }, (req, res) =>
      this.handle(req, res),
    );
    this.server.setTimeout(0);
    this.server.on('clientError', clientErrorHandler);
    this.bare = { beforeSend: () => {}, fail: (e, q, r) => this.fail(e, q, r), warn: (f, m) => this.warn(f, m) };
  }

  route({ method, url, handler }: { method: string | readonly string[]; url: string; handler: Handler }): this {
    const route: Route = { handler };
    this.router.on(method as HTTPMethod | HTTPMethod[], url, noop, route);
    return this;
  }

  get(url: string, handler: Handler): this {
    return this.route({ method: 'GET', url, handler });
  }

  head(url: string, handler: Handler): this {
    return this.route({ method: 'HEAD', url, handler });
  }

  post(url: string, handler: Handler): this {
    return this.route({ method: 'POST', url, handler });
  }

  put(url: string, handler: Handler): this {
    return this.route({ method: 'PUT', url, handler });
  }

  patch(url: string, handler: Handler): this {
    return this.route({ method: 'PATCH', url, handler });
  }

  delete(url: string, handler: Handler): this {
    return this.route({ method: 'DELETE', url, handler });
  }

  /** Declares a method (WebDAV's) whose requests carry a body; the router knows every method Node parses. */
  addHttpMethod(method: string, options: { hasBody: boolean }): this {
    if (options.hasBody) this.bodyMethods.add(method);
    return this;
  }

  /**
   * Hands every request for `prefix` or a path below it (`/dav`: `/dav`, `/dav/…`, not `/davx`) to
   * `handler`, after the onRequest step.
   */
  mount(prefix: string, handler: RawHandler): this {
    this.mounts.push({ prefix: prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, handler });
    return this;
  }

  async listen(at: { host: string; port: number }): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(at.port, at.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /**
   * Stops accepting connections; requests still arriving on open ones get 503 and
   * `Connection: close`. Takes effect on the next turn of the event loop, so that what the caller
   * ends right after calling it (event streams) has finished and its connections are reaped as
   * idle instead of being offered a 503 for their next request.
   */
  async close(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.closing = true;
    const closed = new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    this.server.closeIdleConnections();
    return closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing) return unavailable(res);
    const found = this.router.find(req.method as HTTPMethod, req.url as string);
    if (found && found.store === null) return void found.handler(req, res, found.params, null, found.searchParams);
    const request = new HttpRequest(req);
    const reply = new HttpReply(request, res, this);
    try {
      if (this.options.onRequest && !this.options.onRequest(request, reply)) return;
      if (this.mounts.length > 0 && this.mounted(request, res)) return;
      if (this.bodyMethods.has(request.method)) {
        const type = req.headers['content-type'];
        // A Content-Type that does not parse is refused for any route, before its handler.
        if (type !== undefined && !mediaTypeOf(type)) throw httpError('INVALID_BODY', 'Unsupported Media Type');
      }
      if (!found) return void sendError(reply, httpError('NOT_FOUND'));
      request.params = found.params as Record<string, string>;
      const done = (found.store as Route).handler(request, reply);
      if (done)
        done.then(
          () => this.answered(request, reply),
          (e: unknown) => this.fail(e, request, reply),
        );
      else this.answered(request, reply);
    } catch (e) {
      this.fail(e, request, reply);
    }
  }

  private mounted(request: HttpRequest, res: ServerResponse): boolean {
    const url = request.url;
    for (const m of this.mounts) {
      const next = url.charCodeAt(m.prefix.length);
      // Below the prefix: it is followed by the end, `/` or the query.
      if (url.startsWith(m.prefix) && (Number.isNaN(next) || next === 47 || next === 63)) {
        m.handler(request.raw, res);
        return true;
      }
    }
    return false;
  }

  private answered(request: HttpRequest, reply: HttpReply): void {
    if (!reply.sent) this.fail(new Error(`handler of ${request.method} ${request.url} finished without an answer`), request, reply);
  }

  private badUrl(message: string, request: HttpRequest, res: ServerResponse): void {
    const reply = new HttpReply(request, res, this.bare);
    if (this.options.onBadUrl) this.options.onBadUrl(message, request, reply);
    else sendError(reply, httpError('INVALID_URL', message));
  }

  beforeSend(request: HttpRequest, reply: HttpReply): void {
    this.options.onSend?.(request, reply);
  }

  /** The error answer: Content-Type and -Length of the failed answer dropped, then a text error. */
  fail(e: unknown, request: HttpRequest, reply: HttpReply): void {
    if (reply.sent) {
      this.warn({ err: e, method: request.method, url: request.url }, 'error after the reply was sent');
      return;
    }
    delete reply.headers['content-type'];
    delete reply.headers['content-length'];
    try {
      answerError(e, request, reply, this.options.log);
    } catch (err) {
      this.options.log.error({ err, method: request.method, url: request.url }, 'error answer failed');
      request.socket.destroy();
    }
  }

  warn(fields: object, message: string): void {
    this.options.log.warn(fields, message);
  }
}

/** A request that arrived on an open connection while the app closes. */
function unavailable(res: ServerResponse): void {
  const err = httpError('SHUTTING_DOWN');
  res.writeHead(err.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(err.message),
    [ERROR_CODE_HEADER]: err.code,
    connection: 'close',
  });
  res.end(err.message);
}
