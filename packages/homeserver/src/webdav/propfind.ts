import type { Element } from '@xmldom/xmldom';
import { httpError } from '../http/errors.ts';
import type { FileEntry } from '../storage/types.ts';
import { asDir, hrefOf, lastSegment } from './dav-path.ts';
import { DIR_MARKER, MAX_ITEMS, notFound, type DavExchange, type DavServer } from './dav-server.ts';
import { childElements, expectRoot, isDav, MULTISTATUS_CLOSE, MULTISTATUS_OPEN, parseXmlBody, propKey, xmlEscape } from './dav-xml.ts';
import type { DavLock } from './locks.ts';

/** PROPFIND (RFC 4918 §9.1): depth 0 and 1, allprop / propname / prop, live and dead properties. */

type Request = { kind: 'allprop' } | { kind: 'propname' } | { kind: 'prop'; names: { ns: string | null; local: string }[] };

function parseRequest(root: Element | null): Request {
  if (root === null) return { kind: 'allprop' };
  expectRoot(root, 'propfind');
  const first = childElements(root)[0];
  if (!first) throw httpError('DAV_INVALID_XML', 'DAV:propfind needs allprop, propname or prop');
  if (isDav(first, 'allprop')) return { kind: 'allprop' };
  if (isDav(first, 'propname')) return { kind: 'propname' };
  if (isDav(first, 'prop')) return { kind: 'prop', names: childElements(first).map((e) => ({ ns: e.namespaceURI, local: e.localName! })) };
  throw httpError('DAV_INVALID_XML', `unexpected ${first.localName} in DAV:propfind`);
}

const FINITE_DEPTH_ONLY = '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>';

/** A resource's live properties (DAV: namespace), by local name, as XML elements. */
function liveProps(file: FileEntry | null, name: string, locks: DavLock[]): Map<string, string> {
  const m = new Map<string, string>();
  m.set('displayname', `<D:displayname>${xmlEscape(name)}</D:displayname>`);
  m.set('resourcetype', file ? '<D:resourcetype/>' : '<D:resourcetype><D:collection/></D:resourcetype>');
  if (file) {
    m.set('getcontentlength', `<D:getcontentlength>${file.contentLength}</D:getcontentlength>`);
    m.set('getcontenttype', `<D:getcontenttype>${xmlEscape(file.contentType)}</D:getcontenttype>`);
    m.set('getetag', `<D:getetag>${xmlEscape(file.etag)}</D:getetag>`);
    m.set('getlastmodified', `<D:getlastmodified>${new Date(Math.floor(file.modifiedAt / 1000)).toUTCString()}</D:getlastmodified>`);
    m.set('creationdate', `<D:creationdate>${new Date(Math.floor(file.createdAt / 1000)).toISOString()}</D:creationdate>`);
  }
  m.set(
    'supportedlock',
    '<D:supportedlock><D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
      '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry></D:supportedlock>',
  );
  m.set('lockdiscovery', `<D:lockdiscovery>${locks.map(activeLockXml).join('')}</D:lockdiscovery>`);
  return m;
}

export function activeLockXml(l: DavLock): string {
  return (
    `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${l.scope}/></D:lockscope>` +
    `<D:depth>${l.depth === 0 ? '0' : 'infinity'}</D:depth>${l.ownerXml}<D:timeout>Second-${l.timeoutSeconds}</D:timeout>` +
    `<D:locktoken><D:href>${xmlEscape(l.token)}</D:href></D:locktoken></D:activelock>`
  );
}

/** An empty element named like the property `{ns}local` (PROPFIND propname, 404 propstats). */
function nameOnly(ns: string | null, local: string): string {
  if (ns === 'DAV:') return `<D:${local}/>`;
  return ns ? `<R:${local} xmlns:R="${xmlEscape(ns)}"/>` : `<${local} xmlns=""/>`;
}

function splitKey(key: string): [string | null, string] {
  const close = key.indexOf('}');
  const ns = key.slice(1, close);
  return [ns === '' ? null : ns, key.slice(close + 1)];
}

/** One `<D:response>` for a resource. */
export function responseXml(
  server: DavServer,
  z32: string,
  path: string,
  file: FileEntry | null,
  request: Request,
  locks: DavLock[],
): string {
  const href = hrefOf(server.mount, z32, path);
  const live = liveProps(file, path === '/' ? z32 : lastSegment(path), locks);
  const dead = server.props.get(z32, path) ?? new Map<string, string>();
  const found: string[] = [];
  const missing: string[] = [];
  if (request.kind === 'allprop') {
    for (const [k, v] of live) if (k !== 'lockdiscovery' || locks.length > 0) found.push(v);
    found.push(...dead.values());
  } else if (request.kind === 'propname') {
    for (const k of live.keys()) found.push(nameOnly('DAV:', k));
    for (const k of dead.keys()) found.push(nameOnly(...splitKey(k)));
  } else {
    for (const n of request.names) {
      const v = n.ns === 'DAV:' ? live.get(n.local) : undefined;
      const d = dead.get(propKey(n.ns, n.local));
      if (v ?? d) found.push((v ?? d)!);
      else missing.push(nameOnly(n.ns, n.local));
    }
  }
  const stat = (props: string[], status: string) =>
    `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>HTTP/1.1 ${status}</D:status></D:propstat>`;
  return `<D:response><D:href>${xmlEscape(href)}</D:href>${found.length > 0 || missing.length === 0 ? stat(found, '200 OK') : ''}${missing.length > 0 ? stat(missing, '404 Not Found') : ''}</D:response>`;
}

export async function propfind(server: DavServer, ex: DavExchange): Promise<void> {
  const request = parseRequest(parseXmlBody(await server.readXml(ex.req)));
  const requested = ex.req.headers.depth;
  // RFC 4918 §9.1: a collection may refuse Depth: infinity. No Depth header is answered as depth 1
  // (what file managers expect), not as infinity.
  const infinite = typeof requested === 'string' && requested.trim().toLowerCase() === 'infinity';
  const depth = requested === '0' ? 0 : 1;
  const r = ex.r;
  const parts: string[] = [];
  const finite = () => server.sendXml(ex.res, 403, FINITE_DEPTH_ONLY);
  const collection = (z32: string, path: string) => responseXml(server, z32, path, null, request, server.locks.covering(z32, path));
  if (r.kind === 'root') {
    if (infinite) return finite();
    parts.push(
      `<D:response><D:href>${server.mount.prefix}/</D:href><D:propstat><D:prop><D:displayname>dav</D:displayname><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`,
    );
    if (depth === 1) {
      let cursor: string | null = null;
      for (let n = 0; ; ) {
        const page = await server.users.list({ limit: 1000, cursor });
        if (page.length === 0) break;
        n += page.length;
        if (n > MAX_ITEMS) throw httpError('DAV_TOO_MANY_USERS', MAX_ITEMS);
        for (const z32 of page) parts.push(collection(z32, '/'));
        cursor = page[page.length - 1]!;
      }
    }
  } else if (r.kind === 'user') {
    await server.existingUser(r.z32);
    if (infinite) return finite();
    parts.push(collection(r.z32, '/'));
    if (depth === 1) for (const root of ['/pub/', '/priv/']) parts.push(collection(r.z32, root));
  } else {
    await server.existingUser(r.z32);
    const { file, dir } = await server.classify(r);
    if (file) parts.push(responseXml(server, r.z32, file.path, file, request, server.locks.covering(r.z32, file.path)));
    else if (!dir) throw notFound();
    else if (infinite) return finite();
    else {
      const path = asDir(r.path);
      parts.push(collection(r.z32, path));
      if (depth === 1) {
        let cursor: string | null = null;
        for (let n = 0; ; ) {
          const page: string[] | null = await server.files.list(r.z32, path, { limit: 1000, cursor, shallow: true, admin: true });
          if (!page || page.length === 0) break;
          n += page.length;
          if (n > MAX_ITEMS) throw httpError('TOO_MANY_FILES', `More than ${MAX_ITEMS} entries in ${path}: use the API page by page`);
          for (const child of page) {
            if (child.endsWith('/')) parts.push(collection(r.z32, child));
            else if (lastSegment(child) !== DIR_MARKER) {
              const e = await server.files.head(r.z32, child, { admin: true });
              if (e) parts.push(responseXml(server, r.z32, child, e, request, server.locks.covering(r.z32, child)));
            }
          }
          cursor = page[page.length - 1]!;
        }
      }
    }
  }
  server.sendXml(ex.res, 207, `${MULTISTATUS_OPEN}${parts.join('')}${MULTISTATUS_CLOSE}`);
}
