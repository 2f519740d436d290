import { timingSafeEqual } from 'node:crypto';
import { applyCors } from '../http/cors.ts';
import type { HttpReply } from '../http/core/http-reply.ts';
import type { HttpRequest } from '../http/core/http-request.ts';
import { httpError } from '../http/errors.ts';
import { sendError } from '../http/error-handler.ts';
import { splitUrl } from '../http/url.ts';
import { isDavPath } from './webdav.ts';
import { optionsHeaders as davOptionsHeaders } from '../webdav/dav-handler.ts';

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}

function passwordMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The admin app's onRequest step: CORS, then HTTP Basic (user `admin`) for WebDAV clients,
 * `X-Admin-Password` for everything else but `GET /`. Returns false when it answered.
 */
export function adminGate(request: HttpRequest, reply: HttpReply, password: string): boolean {
  if (applyCors(request, reply)) return false;
  const path = splitUrl(request.url).path;
  if (request.method === 'GET' && path === '/') return true;
  // Windows' WebDAV client probes the server root with OPTIONS before it sends credentials.
  if (request.method === 'OPTIONS' && path === '/') {
    for (const [k, v] of Object.entries(davOptionsHeaders())) reply.header(k, v);
    reply.code(200).send();
    return false;
  }
  if (isDavPath(path)) {
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
    const [user, given] = basic ? splitOnce(Buffer.from(basic[1]!, 'base64').toString('utf8'), ':') : ['', ''];
    if (!basic || user !== 'admin' || !passwordMatches(given, password)) {
      sendError(reply, httpError('ADMIN_BASIC_AUTH'));
      return false;
    }
    return true;
  }
  const given = request.headers['x-admin-password'];
  if (typeof given !== 'string') {
    sendError(reply, httpError('ADMIN_PASSWORD_MISSING'));
    return false;
  }
  if (!passwordMatches(given, password)) {
    sendError(reply, httpError('ADMIN_PASSWORD_INVALID'));
    return false;
  }
  return true;
}
