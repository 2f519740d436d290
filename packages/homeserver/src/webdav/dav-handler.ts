import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpError } from '../http/errors.ts';
import { ALLOW, DavServer, type DavExchange, type DavServerOptions } from './dav-server.ts';
import { del, getOrHead, mkcol, put } from './file-methods.ts';
import { lock, unlock } from './lock.ts';
import { propfind } from './propfind.ts';
import { proppatch } from './proppatch.ts';
import { transfer } from './transfer.ts';

/**
 * A WebDAV server (RFC 4918, class 1 and 2) as a plain Node request handler, so any HTTP core can
 * mount it in one line: `(req, res) => handler(req, res, principal)` for requests under the mount's
 * prefix, once the caller has authenticated them. `principal` names who holds the locks they take.
 */
export type DavHandler = (req: IncomingMessage, res: ServerResponse, principal: string) => Promise<void>;

/** Methods whose request may change something: `If` is evaluated for them, conditions refused where unsupported. */
const WRITES = new Set(['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH', 'LOCK', 'UNLOCK']);

export function optionsHeaders(): Record<string, string> {
  return { dav: '1, 2', allow: ALLOW, 'ms-author-via': 'DAV', 'accept-ranges': 'bytes' };
}

export function createDavHandler(options: DavServerOptions): DavHandler {
  const server = new DavServer(options);
  return (req, res, principal) => serveDav(server, req, res, principal);
}

/** One WebDAV exchange, answered by `server` (a user mount builds one per request: its own user and access). */
export async function serveDav(server: DavServer, req: IncomingMessage, res: ServerResponse, principal: string): Promise<void> {
  try {
    const ex: DavExchange = { req, res, r: server.parse(req.url ?? '/'), principal, tokens: new Set() };
    const method = req.method ?? '';
    if (method === 'OPTIONS') return server.send(res, 200, optionsHeaders());
    if (ex.r.kind === 'path') server.authorize(ex.r.path, WRITES.has(method) ? 'w' : 'r');
    if (WRITES.has(method)) {
      if (req.headers['if-unmodified-since'] !== undefined) {
        throw httpError('DAV_CONDITIONAL', 'If-Unmodified-Since on writes is not supported; use If-Match with the ETag');
      }
      if (
        (req.headers['if-match'] !== undefined || req.headers['if-none-match'] !== undefined) &&
        method !== 'PUT' &&
        method !== 'DELETE'
      ) {
        throw httpError('DAV_CONDITIONAL', `If-Match / If-None-Match on ${method} is not supported; send it without them`);
      }
      await server.checkIf(ex);
    }
    switch (method) {
      case 'GET':
      case 'HEAD':
        return await getOrHead(server, ex);
      case 'PUT':
        return await put(server, ex);
      case 'DELETE':
        return await del(server, ex);
      case 'MKCOL':
        return await mkcol(server, ex);
      case 'PROPFIND':
        return await propfind(server, ex);
      case 'PROPPATCH':
        return await proppatch(server, ex);
      case 'COPY':
      case 'MOVE':
        return await transfer(server, ex, method === 'MOVE');
      case 'LOCK':
        return await lock(server, ex);
      case 'UNLOCK':
        return await unlock(server, ex);
      default:
        throw httpError('DAV_METHOD', method).withHeaders({ allow: ALLOW });
    }
  } catch (e) {
    server.fail(req, res, e);
  }
}
