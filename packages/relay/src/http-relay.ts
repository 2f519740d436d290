// The HTTP relay (spec §7.1): rendezvous for the pubkyauth flow. `/inbox/<id>` stores a message for
// a TTL and supports ACKs; legacy `/link/<id>` makes producer and consumer wait for each other.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AtCapacityError,
  InboxStore,
  LinkStore,
  TooManyWaitersError,
  type HttpRelayLimits,
  type RelayMessage,
  type WaitOutcome,
} from './http-relay-store.ts';
import { BodyTooLargeError, readBody, sendText, serverUrl } from './http-util.ts';
import { ERROR_CODE_HEADER, RelayError, relayErrors } from './relay-errors.ts';

export const HTTP_RELAY_TESTNET_PORT = 15412;

export interface HttpRelayOptions extends Partial<HttpRelayLimits> {
  /** TCP port; 0 (default) picks a free one. The testnet uses 15412. */
  port?: number;
  /** Bind address, default 127.0.0.1. */
  host?: string;
  /** Answer every origin (testnets enable this). Default false. */
  corsAllowAll?: boolean;
  /** Largest accepted message body (spec default 2048 bytes). */
  maxBodyBytes?: number;
  /** Largest id in UTF-8 bytes (spec: 256). */
  maxIdBytes?: number;
  /** How often expired inbox entries are removed (spec: 15 s). */
  sweepIntervalMs?: number;
}

export interface HttpRelayHandle {
  /** Base URL, e.g. `http://127.0.0.1:15412` (append `/inbox` or `/link` for a pubkyauth relay). */
  url: string;
  port: number;
  server: Server;
  inbox: InboxStore;
  link: LinkStore;
  close(): Promise<void>;
}

export const HTTP_RELAY_DEFAULTS = {
  inboxTimeoutMs: 25_000,
  inboxTtlMs: 300_000,
  linkTimeoutMs: 600_000,
  maxWaitersPerId: 10,
  maxEntries: 10_000,
  maxBodyBytes: 2048,
  maxIdBytes: 256,
  sweepIntervalMs: 15_000,
} as const;

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Expose-Headers': '*',
  'Access-Control-Max-Age': '86400',
};

type Route =
  | { kind: 'root' }
  | { kind: 'link'; id: string }
  | { kind: 'inbox'; id: string; sub: '' | 'ack' | 'await' }
  | { kind: 'bad-id' }
  | { kind: 'none' };

function route(rawUrl: string): Route {
  const q = rawUrl.indexOf('?');
  const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
  if (path === '/' || path === '') return { kind: 'root' };
  const parts = path.split('/');
  // parts[0] is '' (leading slash)
  if (parts.length < 3 || parts[0] !== '' || parts[2] === '') return { kind: 'none' };
  let id: string;
  try {
    id = decodeURIComponent(parts[2]);
  } catch {
    return { kind: 'bad-id' };
  }
  if (parts[1] === 'link' && parts.length === 3) return { kind: 'link', id };
  if (parts[1] === 'inbox') {
    if (parts.length === 3) return { kind: 'inbox', id, sub: '' };
    if (parts.length === 4 && (parts[3] === 'ack' || parts[3] === 'await')) return { kind: 'inbox', id, sub: parts[3] };
  }
  return { kind: 'none' };
}

function sendMessage(res: ServerResponse, msg: RelayMessage, extra?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = 200;
  if (extra) for (const k in extra) res.setHeader(k, extra[k]);
  if (msg.contentType !== undefined) res.setHeader('Content-Type', msg.contentType);
  res.setHeader('Content-Length', msg.body.length);
  res.end(msg.body);
}

/** The error answer: a RelayError's status, text and code (store refusals mapped); anything else a 500. */
function fail(res: ServerResponse, e: unknown): void {
  const err =
    e instanceof RelayError
      ? e
      : e instanceof TooManyWaitersError
        ? relayErrors.tooManyWaiters()
        : e instanceof AtCapacityError
          ? relayErrors.atCapacity()
          : relayErrors.internal('Internal server error');
  sendText(res, err.status, err.message, { ...err.headers, [ERROR_CODE_HEADER]: err.code });
}

/** Links are deprecated (spec §7.1): every answer on them says so. */
const DEPRECATED = { Deprecation: 'true' } as const;

export function startHttpRelay(options: HttpRelayOptions = {}): Promise<HttpRelayHandle> {
  return new HttpRelay(options).listen();
}

/**
 * One HTTP relay: its routes are its methods — `root`, `link` (POST/GET `/link/<id>`), and the
 * inbox's `inboxPost`, `inboxGet`, `inboxDelete`, `inboxAck` (`/ack`), `inboxAwait` (`/await`) —
 * picked by `dispatch` from the parsed route. Route methods answer through `res` or throw a
 * `RelayError`.
 */
class HttpRelay {
  private readonly server: Server;
  private readonly inbox: InboxStore;
  private readonly link: LinkStore;
  private readonly maxBody: number;
  private readonly maxId: number;
  private readonly cors: boolean;
  private readonly sweeper: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly options: HttpRelayOptions) {
    const limits: HttpRelayLimits = {
      inboxTimeoutMs: options.inboxTimeoutMs ?? HTTP_RELAY_DEFAULTS.inboxTimeoutMs,
      inboxTtlMs: options.inboxTtlMs ?? HTTP_RELAY_DEFAULTS.inboxTtlMs,
      linkTimeoutMs: options.linkTimeoutMs ?? HTTP_RELAY_DEFAULTS.linkTimeoutMs,
      maxWaitersPerId: options.maxWaitersPerId ?? HTTP_RELAY_DEFAULTS.maxWaitersPerId,
      maxEntries: options.maxEntries ?? HTTP_RELAY_DEFAULTS.maxEntries,
    };
    this.maxBody = options.maxBodyBytes ?? HTTP_RELAY_DEFAULTS.maxBodyBytes;
    this.maxId = options.maxIdBytes ?? HTTP_RELAY_DEFAULTS.maxIdBytes;
    this.cors = options.corsAllowAll ?? false;
    this.inbox = new InboxStore(limits);
    this.link = new LinkStore(limits);
    this.server = createServer((req, res) => {
      this.dispatch(req, res).catch((e: unknown) => fail(res, e));
    });
    // Long polls outlive Node's default request timeout only if we say so.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 30_000;
    this.sweeper = setInterval(() => this.inbox.sweep(), options.sweepIntervalMs ?? HTTP_RELAY_DEFAULTS.sweepIntervalMs);
    this.sweeper.unref();
  }

  listen(): Promise<HttpRelayHandle> {
    const { server, options } = this;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        const port = (server.address() as AddressInfo).port;
        resolve({
          url: serverUrl(options.host ?? '127.0.0.1', port),
          port,
          server,
          inbox: this.inbox,
          link: this.link,
          close: () => this.close(),
        });
      });
    });
  }

  close(): Promise<void> {
    return new Promise<void>((done) => {
      this.closing = true;
      clearInterval(this.sweeper);
      this.inbox.close();
      this.link.close();
      this.server.close(() => done());
      // Let the shutdown answers flush, then drop idle keep-alive sockets.
      setImmediate(() => this.server.closeAllConnections());
    });
  }

  /** The router: CORS first, then the route the path names, then the method. */
  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.cors) for (const k in CORS_HEADERS) res.setHeader(k, CORS_HEADERS[k]);
    if (req.method === 'OPTIONS' && this.cors) {
      res.statusCode = 204;
      res.end();
      return;
    }
    const r = route(req.url ?? '/');
    const method = req.method ?? 'GET';
    if (r.kind === 'root') return this.root(res, method);
    if (r.kind === 'none') throw relayErrors.notFound();
    if (r.kind === 'bad-id') throw relayErrors.invalidId('Invalid ID: bad percent-encoding');
    if (r.kind === 'link') return this.linkRoute(req, res, r.id, method);
    if (Buffer.byteLength(r.id, 'utf8') > this.maxId) throw relayErrors.invalidId('Inbox ID too long');
    if (r.sub === 'ack') return this.inboxAck(res, r.id, method);
    if (r.sub === 'await') return this.inboxAwait(res, r.id, method);
    if (method === 'POST') return this.inboxPost(req, res, r.id);
    if (method === 'GET') return this.inboxGet(res, r.id);
    if (method === 'DELETE') return this.inboxDelete(res, r.id);
    throw relayErrors.methodNotAllowed('GET, POST, DELETE');
  }

  /** GET / */
  private root(res: ServerResponse, method: string): void {
    if (method !== 'GET' && method !== 'HEAD') throw relayErrors.methodNotAllowed('GET');
    sendText(res, 200, 'Http Relay');
  }

  /** POST and GET /link/<id>: producer and consumer wait for each other (deprecated). */
  private async linkRoute(req: IncomingMessage, res: ServerResponse, id: string, method: string): Promise<void> {
    if (Buffer.byteLength(id, 'utf8') > this.maxId) throw relayErrors.invalidId('Channel ID too long', DEPRECATED);
    if (method === 'POST') {
      const body = await this.readMessage(req, DEPRECATED);
      if (body === null) return;
      const out = this.link.produce(id, { body, contentType: req.headers['content-type'] });
      if (out === 'delivered') return sendText(res, 200, '', DEPRECATED);
      return this.answerWait(
        res,
        out,
        () => sendText(res, 200, '', DEPRECATED),
        () => relayErrors.entryExpired('Entry expired', DEPRECATED),
        DEPRECATED,
      );
    }
    if (method === 'GET') {
      const out = this.link.consume(id);
      if ('message' in out) return sendMessage(res, out.message, DEPRECATED);
      return this.answerWait(
        res,
        out.waiter,
        (m) => sendMessage(res, m, DEPRECATED),
        () => relayErrors.entryExpired('Entry expired', DEPRECATED),
        DEPRECATED,
      );
    }
    throw relayErrors.methodNotAllowed('GET, POST', DEPRECATED);
  }

  /** GET /inbox/<id>/ack: whether the message was acknowledged. */
  private inboxAck(res: ServerResponse, id: string, method: string): void {
    if (method !== 'GET') throw relayErrors.methodNotAllowed('GET');
    const s = this.inbox.ackState(id);
    if (s === 'absent') throw relayErrors.notFound();
    sendText(res, 200, s === 'acked' ? 'true' : 'false');
  }

  /** GET /inbox/<id>/await: waits until the message is acknowledged. */
  private inboxAwait(res: ServerResponse, id: string, method: string): void {
    if (method !== 'GET') throw relayErrors.methodNotAllowed('GET');
    const out = this.inbox.awaitAck(id);
    if (out === 'acked') return sendText(res, 200, '');
    if (out === 'absent') throw relayErrors.notFound();
    this.answerWait(
      res,
      out,
      () => sendText(res, 200, ''),
      () => relayErrors.notFound(),
    );
  }

  /** POST /inbox/<id>: stores the message for its TTL. */
  private async inboxPost(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const body = await this.readMessage(req);
    if (body === null) return;
    this.inbox.post(id, { body, contentType: req.headers['content-type'] });
    sendText(res, 200, '');
  }

  /** GET /inbox/<id>: the message, or a long poll until it arrives. */
  private inboxGet(res: ServerResponse, id: string): void {
    const out = this.inbox.get(id);
    if ('message' in out) return sendMessage(res, out.message);
    this.answerWait(
      res,
      out.waiter,
      (m) => sendMessage(res, m),
      () => relayErrors.entryExpired('Entry expired'),
    );
  }

  /** DELETE /inbox/<id>: acknowledges the message. */
  private inboxDelete(res: ServerResponse, id: string): void {
    if (!this.inbox.ack(id)) throw relayErrors.notFound();
    sendText(res, 200, '');
  }

  /** A message body under the limit; null when the client went away. Throws 413 / 503. */
  private async readMessage(req: IncomingMessage, headers?: Record<string, string>): Promise<Buffer | null> {
    let body: Buffer;
    try {
      body = await readBody(req, this.maxBody);
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw relayErrors.bodyTooLarge(`Request body too large (limit ${this.maxBody} bytes)`, headers);
      return null;
    }
    if (this.closing) throw relayErrors.shuttingDown('Server shutting down', headers);
    return body;
  }

  /** Answers a waiting request once its waiter settles; a client that hangs up frees its slot. */
  private answerWait<T>(
    res: ServerResponse,
    waiter: { promise: Promise<WaitOutcome<T>>; settle(o: WaitOutcome<T>): void },
    onOk: (value: T) => void,
    gone: () => RelayError,
    extra?: Record<string, string>,
  ): void {
    const onClose = () => waiter.settle({ kind: 'closed' });
    res.on('close', onClose);
    void waiter.promise.then((o) => {
      res.off('close', onClose);
      if (o.kind === 'ok') onOk(o.value);
      else if (o.kind === 'timeout') fail(res, relayErrors.requestTimeout(extra));
      else if (o.kind === 'gone') fail(res, gone());
      else fail(res, relayErrors.shuttingDown('Server shutting down', extra));
    });
  }
}
