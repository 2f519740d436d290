// A real homeserver behind a proxy that can turn hostile on command: its PKARR record advertises
// the proxy's port, so the indexer reaches the homeserver only through it.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyMode =
  | 'pass'
  /** Every connection is cut at once. */
  | 'down'
  /** `/events/` answers text that is not an event feed. */
  | 'garbage-feed'
  /** `/events/` answers feed lines without end. */
  | 'endless-feed'
  /** `/events/` never answers. */
  | 'silent-feed'
  /** File reads get a different body under the real ETag. */
  | 'tamper-body'
  /** File reads get an endless body. */
  | 'huge-body';

export interface HostileProxy {
  port: number;
  mode: ProxyMode;
  /** Where to forward (the homeserver's own URL), set once it runs. */
  target: string;
  close(): Promise<void>;
}

export async function startHostileProxy(): Promise<HostileProxy> {
  const open = new Set<ServerResponse>();
  const proxy: HostileProxy = { port: 0, mode: 'pass', target: '', close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const isFeed = req.url?.startsWith('/events/') ?? false;
    const isFile = /\/pub\/pubky\.app\//.test(req.url ?? '') && req.method === 'GET';
    const mode = proxy.mode;
    if (mode === 'down') return req.socket.destroy();
    if (isFeed && mode === 'garbage-feed') return res.end('<html>this is not a feed</html>\ncursor: \u0000');
    if (isFeed && mode === 'silent-feed') return;
    if (isFeed && mode === 'endless-feed') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const line = Buffer.from(`PUT pubky://${'y'.repeat(52)}/pub/pubky.app/posts/0000000000000\n`.repeat(1000));
      const pump = () => {
        while (!res.destroyed && res.write(line));
        if (!res.destroyed) res.once('drain', pump);
      };
      return pump();
    }
    if (isFile && mode === 'huge-body') {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"AAAA"' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      return pump();
    }
    const url = new URL(req.url ?? '/', proxy.target);
    const upstream = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (up) => {
      if (isFile && mode === 'tamper-body' && up.statusCode === 200) {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = Buffer.concat(chunks)
            .toString()
            .replace(/"content":"/, '"content":"tampered ');
          const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(body)) };
          res.writeHead(200, headers);
          res.end(body);
        });
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const res of open) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
