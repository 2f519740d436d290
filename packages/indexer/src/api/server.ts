// The API's HTTP server: node:http with find-my-way (fastify's router), JSON in and out, CORS open
// (a public read-only API), every error a catalogue entry.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import { apiError, IndexerApiError } from '../errors.ts';
import type { IndexReader } from '../store/index-reader.ts';
import type { FollowerStatus } from '../follow/homeserver-follower.ts';
import { openApiDocument } from './openapi.ts';
import { ROUTES, type RouteContext } from './routes.ts';
import type { PostStream } from './post-stream.ts';

export interface ApiDeps {
  reader: IndexReader;
  posts: PostStream;
  status: () => { homeservers: FollowerStatus[] };
  log?: (line: Record<string, unknown>) => void;
}

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*', 'cache-control': 'no-cache' };

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown, log?: ApiDeps['log']): void {
  if (e instanceof IndexerApiError) return send(res, e.status, { error: e.code, message: e.message });
  log?.({ level: 'error', msg: 'API handler failed', err: (e as Error).message });
  send(res, 500, { error: 'internal', message: 'the indexer failed to answer; see its log' });
}

export function buildRouter(deps: ApiDeps) {
  const router = FindMyWay({
    ignoreTrailingSlash: true,
    defaultRoute: (_req, res) => sendError(res, apiError('route_not_found', 'no such route; the routes are listed in /openapi.json')),
  });
  const document = openApiDocument();
  for (const route of ROUTES) {
    router.on(['GET', 'HEAD'], route.path, (req, res, params, _store, query) => {
      const ctx: RouteContext = {
        reader: deps.reader,
        params,
        query: new URLSearchParams(query as Record<string, string>),
        status: deps.status,
      };
      try {
        send(res, 200, route.handler(ctx));
      } catch (e) {
        sendError(res, e, deps.log);
      }
    });
  }
  router.on('GET', '/openapi.json', (_req, res) => send(res, 200, document));
  router.on('GET', '/v0/stream/posts', (req, res) => deps.posts.serve(req, res));
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
    router.on(method, '/*', (_req, res) => sendError(res, apiError('method_not_allowed', 'the indexer API is read-only: use GET')));
  }
  return router;
}

export interface ApiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startApiServer(deps: ApiDeps, host: string, port: number): Promise<ApiServer> {
  const router = buildRouter(deps);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    try {
      router.lookup(req, res);
    } catch (e) {
      sendError(res, e, deps.log);
    }
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        deps.posts.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
