import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AuthSession } from '../auth/session.ts';
import { applyResponsePolicy, markRateLimited, prepareClientRequest } from './client-hooks.ts';
import type { HttpDeps, PrivacyPolicy } from './context.ts';
import { answerError } from './error-handler.ts';
import type { ReplyLike, RequestLike } from './exchange.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { StorageHandler, StorageHandlers } from './routes/storage-routes.ts';
import type { RequestTarget } from './tenant.ts';

/**
 * The raw fast path for the hot storage routes: GET/HEAD/PUT/DELETE of URLs under `/pub/`, `/priv/`
 * and `/storage/`, answered from the server's `request` event without fastify's routing, request
 * and reply objects and hook runners. It runs the very same code fastify runs for them — the
 * client app's onRequest step (`prepareClientRequest`), the storage handlers, the onSend step
 * (`applyResponsePolicy`) and the error handler (`answerError`) — over small request/reply
 * objects that reproduce what fastify's reply does with them (header object, content-type
 * defaults, content-length rules, one `writeHead` + `end`), so status, headers (in the same
 * order) and bodies are byte-identical. Everything else goes to fastify unchanged:
 * - other methods and URLs, and absolute-form request targets;
 * - any method for which another route could match those URLs (checked once all routes exist);
 * - requests with a Content-Type fastify would refuse (415 from its body handling);
 * - while the app is closing (fastify answers 503);
 * - responses with a streamed body (files stored as blobs): the request is handed to fastify
 *   before anything is written, marked so the rate limiter does not count it twice.
 * Hooks added to the client app with `addHook` are not run here: the fast path knows only the
 * client app's own (see client-hooks.ts).
 */

// fastify's own media-type parser, so Content-Type decisions match its reply and body handling.
const ContentType = createRequire(import.meta.url)('fastify/lib/content-type.js') as {
  from(value: unknown): { readonly isValid: boolean; readonly isEmpty: boolean; readonly mediaType: string | undefined; readonly parameters: Map<string, string>; toString(): string };
};

const OCTET = 'application/octet-stream';
const PLAIN = 'text/plain; charset=utf-8';
const FAST_PREFIXES = ['/pub/', '/priv/', '/storage/'];
const FAST_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE'] as const;
type FastMethod = (typeof FAST_METHODS)[number];

class FastRequest implements RequestLike {
  target: RequestTarget = null as never;
  rawPath = '';
  rawQuery = '';
  privacy: PrivacyPolicy = 'none';
  sessionPromise: Promise<AuthSession | null> | undefined = undefined;
  constructor(readonly raw: IncomingMessage) {}
  get method(): string {
    return this.raw.method as string;
  }
  get headers() {
    return this.raw.headers;
  }
  get socket() {
    return this.raw.socket;
  }
  get url(): string | undefined {
    return this.raw.url;
  }
}

type StreamBody = { pipe: unknown; destroy?: () => void };

/** fastify's reply semantics, for the payloads the storage handlers send (none, bytes, text, stream). */
class FastReply implements ReplyLike {
  statusCode = 200;
  sent = false;
  /** A streamed body: not sent here, the request goes to fastify instead (see FastStorage.run). */
  stream: StreamBody | null = null;
  headers: Record<string, any> = {};

  constructor(
    private readonly request: FastRequest,
    private readonly res: ServerResponse,
  ) {}

  header(key: string, value: any = ''): this {
    // Like fastify, minus set-cookie's list handling (no storage answer sets a cookie).
    this.headers[key.toLowerCase()] = value;
    return this;
  }

  getHeader(key: string): unknown {
    return this.headers[key.toLowerCase()];
  }

  removeHeader(key: string): this {
    delete this.headers[key.toLowerCase()];
    return this;
  }

  code(statusCode: number): this {
    if (!(statusCode >= 100 && statusCode <= 599)) throw new RangeError(`bad status code ${statusCode}`);
    this.statusCode = statusCode;
    return this;
  }

  type(contentType: string): this {
    this.headers['content-type'] = contentType;
    return this;
  }

  send(payload?: any): this {
    if (this.sent || this.stream) throw new Error('reply already sent');
    if (payload === undefined) {
      this.finish(undefined);
      return this;
    }
    if (payload !== null && typeof payload.pipe === 'function') {
      this.stream = payload as StreamBody;
      return this;
    }
    const contentType = ContentType.from(this.headers['content-type']);
    if (payload !== null && payload.buffer instanceof ArrayBuffer) {
      if (contentType.isEmpty) this.headers['content-type'] = OCTET;
      this.finish(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
      return this;
    }
    if (typeof payload !== 'string') throw new TypeError('the fast path sends only bytes, text or streams');
    if (contentType.isEmpty) {
      this.headers['content-type'] = PLAIN;
    } else if (contentType.mediaType!.indexOf('json') !== -1 && !contentType.parameters.has('charset')) {
      this.headers['content-type'] = `${contentType.toString()}; charset=utf-8`;
    }
    this.finish(payload);
    return this;
  }

  /** fastify's onSend hooks + onSendEnd: policy headers, content-length rules, one writeHead + end. */
  private finish(payload: Buffer | string | undefined): void {
    this.sent = true;
    applyResponsePolicy(this.request, this);
    const { res, headers } = this;
    const status = this.statusCode;
    if (payload === undefined) {
      if (status >= 200 && status !== 204 && status !== 304 && this.request.method !== 'HEAD') headers['content-length'] = '0';
      res.writeHead(status, headers);
      res.end();
      return;
    }
    if ((status >= 100 && status < 200) || status === 204) {
      delete headers['content-type'];
      delete headers['content-length'];
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const length = headers['content-length'];
    if (!length || (this.request.method !== 'HEAD' && Number(length) !== Buffer.byteLength(payload))) {
      headers['content-length'] = `${Buffer.byteLength(payload)}`;
    }
    res.writeHead(status, headers);
    res.end(payload);
  }
}

/** Whether the path part of `url` survives decodeURI (find-my-way decodes it the same way). */
function decodablePath(url: string): boolean {
  const q = url.search(/[?#]/);
  try {
    decodeURI(q < 0 ? url : url.slice(0, q));
    return true;
  } catch {
    return false;
  }
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What the fast path has done (tests and diagnostics). */
export interface FastStorageStats {
  /** Requests answered by the fast path. */
  served: number;
  /** Requests it started and then handed to fastify (streamed bodies). */
  handedOver: number;
}

class FastStorage {
  readonly stats: FastStorageStats = { served: 0, handedOver: 0 };
  /** Per method: the storage handler, or null while another route could match a storage URL. */
  private readonly handlers = new Map<string, StorageHandler | null>();
  private closing = false;
  private fastify!: RequestListener;

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly limiter: RateLimiter,
    private readonly storage: StorageHandlers,
  ) {}

  /** Decides, once every route is registered, which methods the fast path may take. */
  configure(routes: Array<{ method: string | string[]; url: string }>): void {
    const mayMatchStorage = (url: string): boolean => {
      const cut = url.search(/[:*]/);
      if (cut < 0) return FAST_PREFIXES.some((p) => url.startsWith(p));
      const fixed = url.slice(0, cut);
      return FAST_PREFIXES.some((p) => p.startsWith(fixed) || fixed.startsWith(p));
    };
    for (const method of FAST_METHODS) {
      const mine = routes.filter((r) => (Array.isArray(r.method) ? r.method : [r.method]).includes(method));
      const catchAll = mine.some((r) => r.url === '/*');
      const others = mine.some((r) => r.url !== '/*' && mayMatchStorage(r.url));
      this.handlers.set(method, catchAll && !others ? this.handlerFor(method) : null);
    }
  }

  private handlerFor(method: FastMethod): StorageHandler {
    return method === 'PUT' ? this.storage.put : method === 'DELETE' ? this.storage.delete : this.storage.read;
  }

  install(app: FastifyInstance): boolean {
    const server = app.server;
    const listeners = server.listeners('request') as RequestListener[];
    if (listeners.length !== 1) return false;
    this.fastify = listeners[0]!;
    server.removeListener('request', this.fastify);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.take(req, res)) this.fastify.call(server, req, res);
    });
    return true;
  }

  markClosing(): void {
    this.closing = true;
  }

  /** Whether the fast path answers this request (decided synchronously, before anything is read). */
  private take(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.closing) return false;
    const handler = this.handlers.get(req.method as string);
    if (!handler) return false;
    const url = req.url as string;
    if (url.charCodeAt(0) !== 47 || !(url.startsWith('/pub/') || url.startsWith('/priv/') || url.startsWith('/storage/'))) return false;
    // fastify's router refuses a path it cannot decodeURI (its frameworkErrors answer then).
    if (url.includes('%') && !decodablePath(url)) return false;
    if (req.method === 'PUT' || req.method === 'DELETE') {
      // fastify answers an unparsable Content-Type with 415 before any handler runs.
      const ct = req.headers['content-type'];
      if (ct !== undefined && !ContentType.from(ct).isValid) return false;
    }
    this.stats.served++;
    this.run(req, res, handler);
    return true;
  }

  private run(req: IncomingMessage, res: ServerResponse, handler: StorageHandler): void {
    const request = new FastRequest(req);
    const reply = new FastReply(request, res);
    let proceed: boolean;
    try {
      proceed = prepareClientRequest(request, reply, this.limiter);
    } catch (e) {
      this.fail(e, request, reply);
      return;
    }
    if (!proceed) return;
    handler(request, reply).then(
      () => {
        if (reply.stream) {
          this.handOver(req, res, reply.stream);
        } else if (!reply.sent) {
          this.fail(new Error('storage handler finished without an answer'), request, reply);
        }
      },
      (e: unknown) => this.fail(e, request, reply),
    );
  }

  /** A streamed body: nothing has been written; fastify serves the request from the start. */
  private handOver(req: IncomingMessage, res: ServerResponse, stream: StreamBody): void {
    stream.destroy?.();
    this.stats.served--;
    this.stats.handedOver++;
    markRateLimited(req);
    this.fastify(req, res);
  }

  /** fastify's error path: content-type and -length dropped, then the app's error handler. */
  private fail(e: unknown, request: FastRequest, reply: FastReply): void {
    if (reply.sent) {
      this.log.warn({ err: e, method: request.method, url: request.url }, 'error after the reply was sent');
      return;
    }
    if (reply.stream) {
      reply.stream.destroy?.();
      reply.stream = null;
    }
    delete reply.headers['content-type'];
    delete reply.headers['content-length'];
    try {
      answerError(e, request, reply, this.log);
    } catch (err) {
      this.log.error({ err, method: request.method, url: request.url }, 'error answer failed');
      request.raw.socket.destroy();
    }
  }
}

/**
 * Puts the fast path in front of the client app's fastify request handler. Call it before any
 * route is registered: it watches route registration and enables a method only when nothing but
 * the storage catch-all (`/*`) could match a storage URL.
 */
export function installFastStorage(app: FastifyInstance, deps: Pick<HttpDeps, 'log'>, limiter: RateLimiter, storage: StorageHandlers): FastStorageStats | null {
  const fast = new FastStorage(deps.log, limiter, storage);
  const routes: Array<{ method: string | string[]; url: string }> = [];
  app.addHook('onRoute', (route) => {
    routes.push({ method: route.method, url: route.url });
  });
  app.addHook('onReady', (done) => {
    fast.configure(routes);
    done();
  });
  app.addHook('preClose', (done) => {
    fast.markClosing();
    done();
  });
  if (fast.install(app)) return fast.stats;
  deps.log.warn('storage fast path not installed: unexpected request listeners');
  return null;
}
