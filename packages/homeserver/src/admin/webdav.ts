import { Readable } from 'node:stream';
import type { HttpApp } from '../http/core/http-app.ts';
import type { HttpReply } from '../http/core/http-reply.ts';
import type { HttpRequest } from '../http/core/http-request.ts';
import { normalizeStoragePath, PublicKey } from '@pubky-ts/common';
import type { HttpDeps } from '../http/context.ts';
import { streamBody } from '../http/body.ts';
import { HttpError, httpError } from '../http/errors.ts';
import { rangeSelector, setLengthHeaders } from '../http/range.ts';
import { writeCondition } from '../http/write-preconditions.ts';
import { percentDecode, splitUrl } from '../http/url.ts';
import type { FileEntry } from '../storage/types.ts';

/**
 * WebDAV (class 1) for operators on the admin port (spec §5.1 `/dav/{…}`): `/dav/` lists the users,
 * `/dav/<z32>/pub/…` and `/dav/<z32>/priv/…` are their files, over the storage stack, so a file
 * manager or `rclone` can browse, upload and remove users' files. Writes are admin writes (no
 * allowed-write-path or collision check; quota, entries and events as usual). Directories exist
 * while they hold files: MKCOL succeeds without storing anything. No locks (LOCK/UNLOCK and
 * PROPPATCH answer 405, as the reference's), so clients that need them mount read-only; for the
 * same reason conditional writes (`If`, `If-Match`, …) are refused with 501 rather than ignored.
 * PROPFIND answers depth 0 and 1; `Depth: infinity` on a collection gets RFC 4918's 403
 * propfind-finite-depth.
 * HTTP Basic auth (user `admin`, the admin password) is checked by the admin app.
 */

const DAV_METHODS = ['PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK'] as const;
const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, MKCOL, COPY, MOVE';
/** Children listed per PROPFIND and files touched per recursive DELETE/COPY/MOVE, at most. */
const MAX_ITEMS = 10_000;

/** What a `/dav/…` URL names. */
type Resource =
  | { kind: 'root' }
  | { kind: 'user'; z32: string }
  /** `path` is a storage path; `dir` when the URL ended with `/` (or is a root). */
  | { kind: 'path'; z32: string; path: string; dir: boolean };

export function isDavPath(path: string): boolean {
  return path === '/dav' || path.startsWith('/dav/');
}

/** Parses the raw (still percent-encoded) URL path of a `/dav` request. */
export function parseDavPath(rawPath: string): Resource {
  const decoded = percentDecode(rawPath.slice('/dav'.length) || '/');
  if (decoded === null) throw httpError('INVALID_URL', 'path is not valid UTF-8');
  let normal: string;
  try {
    normal = normalizeStoragePath(decoded).path;
  } catch (e) {
    throw httpError('INVALID_URL', (e as Error).message);
  }
  if (normal === '/') return { kind: 'root' };
  const slash = normal.indexOf('/', 1);
  const keyText = slash < 0 ? normal.slice(1) : normal.slice(1, slash);
  let z32: string;
  try {
    z32 = PublicKey.parseZ32(keyText).z32;
  } catch (e) {
    throw httpError('INVALID_PUBLIC_KEY', (e as Error).message);
  }
  const rest = slash < 0 ? '/' : normal.slice(slash);
  if (rest === '/') return { kind: 'user', z32 };
  const dir = rest.endsWith('/') || rest === '/pub' || rest === '/priv';
  return { kind: 'path', z32, path: dir && !rest.endsWith('/') ? `${rest}/` : rest, dir };
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const hrefOf = (z32: string | null, path: string): string =>
  `/dav${z32 === null ? '' : `/${z32}`}${path.split('/').map(encodeURIComponent).join('/')}`;

function lastSegment(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function collectionXml(href: string, name: string): string {
  return `<D:response><D:href>${xmlEscape(href)}</D:href><D:propstat><D:prop><D:displayname>${xmlEscape(name)}</D:displayname><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`;
}

function fileXml(href: string, e: FileEntry): string {
  const modified = new Date(Math.floor(e.modifiedAt / 1000)).toUTCString();
  const created = new Date(Math.floor(e.createdAt / 1000)).toISOString();
  return (
    `<D:response><D:href>${xmlEscape(href)}</D:href><D:propstat><D:prop><D:displayname>${xmlEscape(lastSegment(e.path))}</D:displayname>` +
    `<D:resourcetype/><D:getcontentlength>${e.contentLength}</D:getcontentlength><D:getcontenttype>${xmlEscape(e.contentType)}</D:getcontenttype>` +
    `<D:getetag>${xmlEscape(e.etag)}</D:getetag><D:getlastmodified>${modified}</D:getlastmodified><D:creationdate>${created}</D:creationdate>` +
    `</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`
  );
}

const notFound = (): HttpError => httpError('NOT_FOUND');

const FINITE_DEPTH_ONLY = '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>';

/** Headers that make a write conditional; the last two are honoured on PUT and DELETE. */
const CONDITIONS = ['if', 'if-unmodified-since', 'if-match', 'if-none-match'] as const;
const WRITES = new Set(['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH']);

/** The same resource, however the client spelled it (trailing slash, percent-encoding). */
function sameResource(a: Resource, b: Resource): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'root' || b.kind === 'root') return true;
  if (a.z32 !== b.z32) return false;
  if (a.kind === 'user' || b.kind === 'user') return true;
  const strip = (p: string) => (p.endsWith('/') ? p.slice(0, -1) : p);
  return strip(a.path) === strip(b.path);
}

export function registerWebDav(app: HttpApp, deps: HttpDeps): void {
  const { files, users } = deps.store;
  for (const m of DAV_METHODS) app.addHttpMethod(m, { hasBody: true });
  const limits = {
    maxBytes: deps.config.drive.maxFileBytes,
    idleMs: deps.config.drive.bodyIdleTimeoutMs,
    tooLarge: () => httpError('BODY_TOO_LARGE', 'File is too large').withHeaders({ connection: 'close' }),
  };

  async function existingUser(z32: string): Promise<void> {
    if (!(await users.get(z32))) throw httpError('USER_NOT_FOUND');
  }

  /** A path the client named without a trailing slash may still be a directory. */
  async function classify(r: Extract<Resource, { kind: 'path' }>): Promise<{ file: FileEntry | null; dir: boolean }> {
    if (r.dir) return { file: null, dir: (await files.list(r.z32, r.path, { limit: 1 })) !== null || r.path === '/pub/' || r.path === '/priv/' };
    const file = await files.head(r.z32, r.path);
    if (file) return { file, dir: false };
    return { file: null, dir: (await files.list(r.z32, `${r.path}/`, { limit: 1 })) !== null };
  }

  /** Every file path under `dir` (deep), up to MAX_ITEMS. */
  async function filesUnder(z32: string, dir: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | null = null;
    while (out.length < MAX_ITEMS) {
      const page: string[] | null = await files.list(z32, dir, { limit: 1000, cursor });
      if (!page || page.length === 0) break;
      out.push(...page);
      cursor = page[page.length - 1]!;
    }
    if (out.length >= MAX_ITEMS) throw httpError('TOO_MANY_FILES', `More than ${MAX_ITEMS} files under ${dir}: use the API page by page`);
    return out;
  }

  async function propfind(request: HttpRequest, reply: HttpReply, r: Resource): Promise<void> {
    const requested = request.headers.depth;
    // RFC 4918 §9.1: a collection may refuse Depth: infinity. No Depth header is answered as depth 1
    // (what file managers expect), not as infinity.
    const infinite = typeof requested === 'string' && requested.trim().toLowerCase() === 'infinity';
    const depth = requested === '0' ? 0 : 1;
    const finiteDepthOnly = (): void => {
      reply.code(403).type('application/xml; charset=utf-8').send(FINITE_DEPTH_ONLY);
    };
    const parts: string[] = [];
    if (r.kind === 'root') {
      if (infinite) return finiteDepthOnly();
      parts.push(collectionXml('/dav/', 'dav'));
      if (depth === 1) {
        let cursor: string | null = null;
        for (let n = 0; ; ) {
          const page = await users.list({ limit: 1000, cursor });
          if (page.length === 0) break;
          n += page.length;
          if (n > MAX_ITEMS) throw httpError('DAV_TOO_MANY_USERS', MAX_ITEMS);
          for (const z32 of page) parts.push(collectionXml(`/dav/${z32}/`, z32));
          cursor = page[page.length - 1]!;
        }
      }
    } else if (r.kind === 'user') {
      await existingUser(r.z32);
      if (infinite) return finiteDepthOnly();
      parts.push(collectionXml(`/dav/${r.z32}/`, r.z32));
      if (depth === 1) for (const root of ['/pub/', '/priv/']) parts.push(collectionXml(hrefOf(r.z32, root), lastSegment(root)));
    } else {
      await existingUser(r.z32);
      const { file, dir } = await classify(r);
      if (file) parts.push(fileXml(hrefOf(r.z32, file.path), file));
      else if (!dir) throw notFound();
      else if (infinite) return finiteDepthOnly();
      else {
        const path = r.path.endsWith('/') ? r.path : `${r.path}/`;
        parts.push(collectionXml(hrefOf(r.z32, path), lastSegment(path)));
        if (depth === 1) {
          let cursor: string | null = null;
          for (let n = 0; ; ) {
            const page: string[] | null = await files.list(r.z32, path, { limit: 1000, cursor, shallow: true });
            if (!page || page.length === 0) break;
            n += page.length;
            if (n > MAX_ITEMS) throw httpError('TOO_MANY_FILES', `More than ${MAX_ITEMS} entries in ${path}: use the API page by page`);
            for (const child of page) {
              if (child.endsWith('/')) parts.push(collectionXml(hrefOf(r.z32, child), lastSegment(child)));
              else {
                const e = await files.head(r.z32, child);
                if (e) parts.push(fileXml(hrefOf(r.z32, child), e));
              }
            }
            cursor = page[page.length - 1]!;
          }
        }
      }
    }
    reply
      .code(207)
      .type('application/xml; charset=utf-8')
      .send(`<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${parts.join('')}</D:multistatus>`);
  }

  async function copyFile(z32: string, from: string, toUser: string, to: string): Promise<void> {
    const content = await files.get(z32, from);
    if (!content) throw notFound();
    const body: AsyncIterable<Uint8Array> = content.inline ? Readable.from([content.inline]) : content.body!;
    await files.put(toUser, to, body, { admin: true, sizeHint: content.entry.contentLength });
  }

  /** COPY and MOVE (files and whole directories) within the dav namespace. */
  async function transfer(request: HttpRequest, reply: HttpReply, r: Resource, move: boolean): Promise<void> {
    if (r.kind !== 'path') throw httpError('DAV_FORBIDDEN', 'Only files and directories under /pub/ and /priv/ can be copied or moved');
    const destination = request.headers.destination;
    if (typeof destination !== 'string') throw httpError('DAV_NO_DESTINATION');
    const destinationPath = splitUrl(destination).path;
    if (!isDavPath(destinationPath)) throw httpError('DAV_FORBIDDEN', 'Destination must be under /dav/ on this server');
    const target = parseDavPath(destinationPath);
    if (target.kind !== 'path') throw httpError('DAV_FORBIDDEN', 'Destination must be under /dav/<user>/pub/ or /priv/');
    // Copying onto itself would rewrite the file, and moving would then delete it.
    if (sameResource(r, target)) throw httpError('DAV_SAME_RESOURCE');
    await existingUser(r.z32);
    await existingUser(target.z32);
    const overwrite = request.headers.overwrite !== 'F';
    const { file, dir } = await classify(r);
    if (!file && !dir) throw notFound();
    const targetState = await classify(target);
    const existed = targetState.file !== null || targetState.dir;
    if (existed && !overwrite) throw httpError('DAV_DESTINATION_EXISTS');
    if (file) {
      const to = target.dir ? `${target.path}${lastSegment(file.path)}` : target.path;
      await copyFile(r.z32, file.path, target.z32, to);
      if (move) await files.delete(r.z32, file.path, { admin: true });
    } else {
      const from = r.path.endsWith('/') ? r.path : `${r.path}/`;
      const to = target.path.endsWith('/') ? target.path : `${target.path}/`;
      if (target.z32 === r.z32 && to.startsWith(from)) throw httpError('DAV_FORBIDDEN', 'Cannot copy a directory into itself');
      for (const p of await filesUnder(r.z32, from)) {
        await copyFile(r.z32, p, target.z32, to + p.slice(from.length));
        if (move) await files.delete(r.z32, p, { admin: true });
      }
    }
    reply.code(existed ? 204 : 201).send();
  }

  async function handle(request: HttpRequest, reply: HttpReply): Promise<void> {
    const r = parseDavPath(splitUrl(request.url).path);
    if (WRITES.has(request.method)) {
      // If-Match / If-None-Match are honoured on PUT and on DELETE of a file (atomically, by the store).
      const honoured = request.method === 'PUT' || request.method === 'DELETE' ? 2 : 0;
      const condition = CONDITIONS.slice(0, CONDITIONS.length - honoured).find((h) => request.headers[h] !== undefined);
      if (condition) throw httpError('DAV_CONDITIONAL', `Conditional WebDAV writes are not supported (${condition} header); send the request without it`);
    }
    switch (request.method) {
      case 'OPTIONS':
        reply.header('dav', '1').header('allow', ALLOW).header('ms-author-via', 'DAV').code(200).send();
        return;
      case 'PROPFIND':
        return propfind(request, reply, r);
      case 'GET':
      case 'HEAD': {
        if (r.kind !== 'path' || r.dir) throw httpError('DAV_COLLECTION', 'GET of a collection: use PROPFIND').withHeaders({ allow: ALLOW });
        const range = rangeSelector(request.headers);
        const content = request.method === 'HEAD' ? null : await files.get(r.z32, r.path, range ? { range } : undefined);
        const entry = content ? content.entry : await files.head(r.z32, r.path);
        if (!entry) throw notFound();
        reply.header('etag', entry.etag).header('last-modified', new Date(Math.floor(entry.modifiedAt / 1000)).toUTCString());
        setLengthHeaders(reply, entry, content?.range).type(entry.contentType);
        if (!content) return void reply.send();
        if (content.inline) return void reply.send(Buffer.from(content.inline.buffer, content.inline.byteOffset, content.inline.byteLength));
        return void reply.send(Readable.from(content.body!, { objectMode: false }));
      }
      case 'PUT': {
        if (r.kind !== 'path' || r.dir) throw httpError('DAV_COLLECTION', 'PUT needs a file path').withHeaders({ allow: ALLOW });
        await existingUser(r.z32);
        const existed = (await files.head(r.z32, r.path)) !== null;
        const declared = request.headers['content-length'];
        const sizeHint = typeof declared === 'string' && /^\d{1,15}$/.test(declared) ? Number(declared) : undefined;
        const { ifMatch, ifNoneMatch } = writeCondition(request.headers);
        const entry = await files.put(r.z32, r.path, streamBody(request.raw, limits), { admin: true, sizeHint, ifMatch, ifNoneMatch });
        reply.code(existed ? 204 : 201).header('etag', entry.etag).send();
        return;
      }
      case 'DELETE': {
        if (r.kind !== 'path') throw httpError('DAV_FORBIDDEN', 'Delete accounts with DELETE /users/{z32}');
        await existingUser(r.z32);
        const { file, dir } = await classify(r);
        const { ifMatch, ifNoneMatch } = writeCondition(request.headers);
        if (dir && (ifMatch !== undefined || ifNoneMatch !== undefined)) {
          throw httpError('DAV_CONDITIONAL', 'Conditional DELETE of a collection is not supported; send it without If-Match / If-None-Match');
        }
        if (file || ifMatch !== undefined) await files.delete(r.z32, file ? file.path : r.path, { admin: true, ifMatch, ifNoneMatch });
        else if (dir) for (const p of await filesUnder(r.z32, r.path.endsWith('/') ? r.path : `${r.path}/`)) await files.delete(r.z32, p, { admin: true });
        else throw notFound();
        reply.code(204).send();
        return;
      }
      case 'MKCOL': {
        if (r.kind !== 'path') throw httpError('DAV_EXISTS', 'Collection exists').withHeaders({ allow: ALLOW });
        if (Number(request.headers['content-length'] ?? 0) > 0) throw httpError('DAV_MKCOL_BODY');
        await existingUser(r.z32);
        const { file, dir } = await classify(r);
        if (file || dir) throw httpError('DAV_EXISTS', 'A file or collection exists at this path').withHeaders({ allow: ALLOW });
        // Directories exist while they hold files; there is nothing to store.
        reply.code(201).send();
        return;
      }
      case 'COPY':
      case 'MOVE':
        return transfer(request, reply, r, request.method === 'MOVE');
      default:
        throw httpError('DAV_METHOD', request.method).withHeaders({ allow: ALLOW });
    }
  }

  const methods = ['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', ...DAV_METHODS];
  app.route({ method: methods, url: '/dav', handler: handle });
  app.route({ method: methods, url: '/dav/*', handler: handle });
}
