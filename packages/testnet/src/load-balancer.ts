import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancerOptions {
  port?: number;
  host?: string;
  /** Backend base URLs, e.g. `http://127.0.0.1:40123`. */
  backends: string[];
}

export interface LoadBalancer {
  url: string;
  port: number;
  server: Server;
  /** Replace the backend list (an instance restarted on another port). */
  setBackends(backends: string[]): void;
  close(): Promise<void>;
}

// Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * A small round-robin HTTP load balancer for local multi-instance homeservers: requests stream through
 * (uploads and server-sent events alike), and a backend that refuses the connection is skipped for the
 * next one, so an instance that died does not fail requests that never reached it. Requests that reached
 * a backend are not retried (a write may have happened); they fail with 502.
 */
export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  let backends = options.backends.map((b) => new URL(b));
  let next = 0;
  // A backend that failed is left out for a moment, so one dead process costs one retry, not one per request.
  const downUntil = new Map<string, number>();
  const pick = (): URL => {
    const now = Date.now();
    for (let i = 0; i < backends.length; i++) {
      const b = backends[next++ % backends.length];
      if ((downUntil.get(b.href) ?? 0) <= now) return b;
    }
    return backends[next++ % backends.length];
  };
  const idempotent = (method: string | undefined) => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

  const forward = (req: IncomingMessage, res: ServerResponse, attempt: number) => {
    if (backends.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }).end('No homeserver instance is available');
      return;
    }
    const target = pick();
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    let connected = false;
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      res.flushHeaders();
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      downUntil.set(target.href, Date.now() + 2000);
      // Never retry a request that may have reached a backend, unless repeating it is harmless.
      const retryable = (!connected && err.code === 'ECONNREFUSED') || idempotent(req.method);
      if (retryable && attempt < backends.length && !res.headersSent) {
        forward(req, res, attempt + 1);
        return;
      }
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' }).end('The homeserver instance failed');
      } else {
        res.destroy();
      }
    });
    res.on('close', () => upstream.destroy());
    // Buffer nothing: the body streams once the upstream connection exists. A refused connection
    // leaves the body unread, so the retry can still send it.
    upstream.on('socket', (socket) => {
      const go = () => {
        connected = true;
        req.pipe(upstream);
      };
      if (socket.connecting) socket.once('connect', go);
      else go(); // a kept-alive socket is already connected
    });
  };

  const server = createServer((req, res) => forward(req, res, 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    port: addr.port,
    server,
    setBackends(list) {
      backends = list.map((b) => new URL(b));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
