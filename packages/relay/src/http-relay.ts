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
import { BodyTooLargeError, readBody, sendText, sendTooLarge, serverUrl } from './http-util.ts';

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

export function startHttpRelay(options: HttpRelayOptions = {}): Promise<HttpRelayHandle> {
  const limits: HttpRelayLimits = {
    inboxTimeoutMs: options.inboxTimeoutMs ?? HTTP_RELAY_DEFAULTS.inboxTimeoutMs,
    inboxTtlMs: options.inboxTtlMs ?? HTTP_RELAY_DEFAULTS.inboxTtlMs,
    linkTimeoutMs: options.linkTimeoutMs ?? HTTP_RELAY_DEFAULTS.linkTimeoutMs,
    maxWaitersPerId: options.maxWaitersPerId ?? HTTP_RELAY_DEFAULTS.maxWaitersPerId,
    maxEntries: options.maxEntries ?? HTTP_RELAY_DEFAULTS.maxEntries,
  };
  const maxBody = options.maxBodyBytes ?? HTTP_RELAY_DEFAULTS.maxBodyBytes;
  const maxId = options.maxIdBytes ?? HTTP_RELAY_DEFAULTS.maxIdBytes;
  const cors = options.corsAllowAll ?? false;
  const inbox = new InboxStore(limits);
  const link = new LinkStore(limits);
  let closing = false;

  /** Answers a waiting request once its waiter settles; a client that hangs up frees its slot. */
  function answerWait<T>(
    res: ServerResponse,
    waiter: { promise: Promise<WaitOutcome<T>>; settle(o: WaitOutcome<T>): void },
    onOk: (value: T) => void,
    goneText: string,
    extra?: Record<string, string>,
  ): void {
    const onClose = () => waiter.settle({ kind: 'closed' });
    res.on('close', onClose);
    void waiter.promise.then((o) => {
      res.off('close', onClose);
      if (o.kind === 'ok') onOk(o.value);
      else if (o.kind === 'timeout') sendText(res, 408, 'Request timed out', extra);
      else if (o.kind === 'gone') sendText(res, 404, goneText, extra);
      else sendText(res, 503, 'Server shutting down', extra);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (cors) for (const k in CORS_HEADERS) res.setHeader(k, CORS_HEADERS[k]);
    if (req.method === 'OPTIONS' && cors) {
      res.statusCode = 204;
      res.end();
      return;
    }
    const r = route(req.url ?? '/');
    const method = req.method ?? 'GET';
    if (r.kind === 'root') {
      if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'Method not allowed', { Allow: 'GET' });
      return sendText(res, 200, 'Http Relay');
    }
    if (r.kind === 'none') return sendText(res, 404, 'Not found');
    if (r.kind === 'bad-id') return sendText(res, 400, 'Invalid ID: bad percent-encoding');

    if (r.kind === 'link') {
      const dep = { Deprecation: 'true' };
      if (Buffer.byteLength(r.id, 'utf8') > maxId) return sendText(res, 400, 'Channel ID too long', dep);
      if (method === 'POST') {
        let body: Buffer;
        try {
          body = await readBody(req, maxBody);
        } catch (e) {
          if (e instanceof BodyTooLargeError) {
            res.setHeader('Deprecation', 'true');
            return sendTooLarge(res, `Request body too large (limit ${maxBody} bytes)`);
          }
          return; // client went away
        }
        if (closing) return sendText(res, 503, 'Server shutting down', dep);
        const out = link.produce(r.id, { body, contentType: req.headers['content-type'] });
        if (out === 'delivered') return sendText(res, 200, '', dep);
        return answerWait(res, out, () => sendText(res, 200, '', dep), 'Entry expired', dep);
      }
      if (method === 'GET') {
        const out = link.consume(r.id);
        if ('message' in out) return sendMessage(res, out.message, dep);
        return answerWait(res, out.waiter, (m) => sendMessage(res, m, dep), 'Entry expired', dep);
      }
      return sendText(res, 405, 'Method not allowed', { ...dep, Allow: 'GET, POST' });
    }

    // inbox
    if (Buffer.byteLength(r.id, 'utf8') > maxId) return sendText(res, 400, 'Inbox ID too long');
    if (r.sub === 'ack') {
      if (method !== 'GET') return sendText(res, 405, 'Method not allowed', { Allow: 'GET' });
      const s = inbox.ackState(r.id);
      if (s === 'absent') return sendText(res, 404, 'Not found');
      return sendText(res, 200, s === 'acked' ? 'true' : 'false');
    }
    if (r.sub === 'await') {
      if (method !== 'GET') return sendText(res, 405, 'Method not allowed', { Allow: 'GET' });
      const out = inbox.awaitAck(r.id);
      if (out === 'acked') return sendText(res, 200, '');
      if (out === 'absent') return sendText(res, 404, 'Not found');
      return answerWait(res, out, () => sendText(res, 200, ''), 'Not found');
    }
    if (method === 'POST') {
      let body: Buffer;
      try {
        body = await readBody(req, maxBody);
      } catch (e) {
        if (e instanceof BodyTooLargeError) return sendTooLarge(res, `Request body too large (limit ${maxBody} bytes)`);
        return;
      }
      if (closing) return sendText(res, 503, 'Server shutting down');
      inbox.post(r.id, { body, contentType: req.headers['content-type'] });
      return sendText(res, 200, '');
    }
    if (method === 'GET') {
      const out = inbox.get(r.id);
      if ('message' in out) return sendMessage(res, out.message);
      return answerWait(res, out.waiter, (m) => sendMessage(res, m), 'Entry expired');
    }
    if (method === 'DELETE') {
      return inbox.ack(r.id) ? sendText(res, 200, '') : sendText(res, 404, 'Not found');
    }
    return sendText(res, 405, 'Method not allowed', { Allow: 'GET, POST, DELETE' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof TooManyWaitersError) return sendText(res, 503, 'Too many concurrent requests');
      if (e instanceof AtCapacityError) return sendText(res, 503, 'Server at capacity');
      sendText(res, 500, 'Internal server error');
    });
  });
  // Long polls outlive Node's default request timeout only if we say so.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;

  const sweepMs = options.sweepIntervalMs ?? HTTP_RELAY_DEFAULTS.sweepIntervalMs;
  const sweeper = setInterval(() => inbox.sweep(), sweepMs);
  sweeper.unref();

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: serverUrl(options.host ?? '127.0.0.1', port),
        port,
        server,
        inbox,
        link,
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            clearInterval(sweeper);
            inbox.close();
            link.close();
            server.close(() => done());
            // Let the shutdown answers flush, then drop idle keep-alive sockets.
            setImmediate(() => server.closeAllConnections());
          }),
      });
    });
  });
}
