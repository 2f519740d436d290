import { httpError, type HttpError } from '../http/errors.ts';
import { rangeSelector, setLengthHeaders } from '../http/range.ts';
import { streamBody } from '../http/body.ts';
import { writeCondition } from '../http/write-preconditions.ts';
import { asDir, asFile, lastSegment } from './dav-path.ts';
import { ALLOW, DIR_MARKER, forbidden, notFound, type DavExchange, type DavServer } from './dav-server.ts';

/** GET / HEAD, PUT, DELETE and MKCOL of the WebDAV tree. */

const collectionMethod = (what: string): HttpError => httpError('DAV_COLLECTION', what).withHeaders({ allow: ALLOW });

function refuseMarker(path: string): void {
  if (lastSegment(path) === DIR_MARKER) throw forbidden(`${DIR_MARKER} is reserved: it marks an empty collection`);
}

export async function getOrHead(server: DavServer, ex: DavExchange): Promise<void> {
  const r = ex.r;
  if (r.kind !== 'path' || r.dir) throw collectionMethod('GET of a collection: use PROPFIND');
  refuseMarker(r.path);
  const head = ex.req.method === 'HEAD';
  const range = rangeSelector(ex.req.headers);
  const content = head ? null : await server.files.get(r.z32, r.path, range ? { range, admin: true } : { admin: true });
  const entry = content ? content.entry : await server.files.head(r.z32, r.path, { admin: true });
  if (!entry) throw notFound();
  const headers: Record<string, string | number> = {
    etag: entry.etag,
    'last-modified': new Date(Math.floor(entry.modifiedAt / 1000)).toUTCString(),
    'content-type': entry.contentType,
  };
  let status = 200;
  setLengthHeaders(
    {
      code(s: number) {
        status = s;
        return this;
      },
      header(k: string, v: string | number) {
        headers[k] = v;
        return this;
      },
    },
    entry,
    content?.range,
  );
  if (!content) {
    ex.res.writeHead(status, headers);
    ex.res.end();
    return;
  }
  if (content.inline) {
    ex.res.writeHead(status, headers);
    ex.res.end(content.inline);
    return;
  }
  await server.stream(ex.res, status, headers, content.body);
}

export async function put(server: DavServer, ex: DavExchange): Promise<void> {
  const r = ex.r;
  if (r.kind !== 'path' || r.dir) throw collectionMethod('PUT needs a file path');
  refuseMarker(r.path);
  await server.existingUser(r.z32);
  const existing = await server.files.head(r.z32, r.path, { admin: true });
  if (!existing) {
    if (await server.isCollection(r.z32, `${r.path}/`)) throw collectionMethod(`${r.path} is a collection`);
    await server.requireParent(r.z32, r.path);
  }
  server.requireUnlocked(ex, r.z32, r.path, { membership: !existing });
  const declared = ex.req.headers['content-length'];
  const sizeHint = typeof declared === 'string' && /^\d{1,15}$/.test(declared) ? Number(declared) : undefined;
  const { ifMatch, ifNoneMatch } = writeCondition(ex.req.headers);
  const entry = await server.files.put(r.z32, r.path, streamBody(ex.req, server.limits), {
    admin: server.admin,
    sizeHint,
    ifMatch,
    ifNoneMatch,
  });
  server.send(ex.res, existing ? 204 : 201, { etag: entry.etag });
}

export async function del(server: DavServer, ex: DavExchange): Promise<void> {
  const r = ex.r;
  if (r.kind !== 'path') throw forbidden('Delete accounts through the admin API, not WebDAV');
  if (r.path === '/pub/' || r.path === '/priv/') throw forbidden('The storage roots cannot be deleted');
  refuseMarker(r.path);
  await server.existingUser(r.z32);
  const { file, dir } = await server.classify(r);
  const { ifMatch, ifNoneMatch } = writeCondition(ex.req.headers);
  if (dir && (ifMatch !== undefined || ifNoneMatch !== undefined)) {
    throw httpError('DAV_CONDITIONAL', 'Conditional DELETE of a collection is not supported; send it without If-Match / If-None-Match');
  }
  if (!file && !dir && ifMatch === undefined) throw notFound();
  const path = file ? file.path : dir ? asDir(r.path) : r.path;
  server.requireUnlocked(ex, r.z32, path, { deep: dir, membership: true });
  if (file || !dir) {
    await server.files.delete(r.z32, path, { admin: server.admin, ifMatch, ifNoneMatch });
    server.props.drop(r.z32, path);
    server.locks.dropWithin(r.z32, path);
  } else {
    await server.remove(r.z32, path, true);
  }
  server.send(ex.res, 204, {});
}

export async function mkcol(server: DavServer, ex: DavExchange): Promise<void> {
  const r = ex.r;
  if (r.kind !== 'path') throw httpError('DAV_EXISTS', 'Collection exists').withHeaders({ allow: ALLOW });
  const length = ex.req.headers['content-length'];
  if ((length !== undefined && length !== '0') || ex.req.headers['transfer-encoding'] !== undefined) {
    throw httpError('DAV_MKCOL_BODY');
  }
  refuseMarker(r.path);
  await server.existingUser(r.z32);
  const dir = asDir(r.path);
  if ((await server.files.head(r.z32, asFile(dir), { admin: true })) || (await server.isCollection(r.z32, dir))) {
    throw httpError('DAV_EXISTS', 'A file or collection exists at this path').withHeaders({ allow: ALLOW });
  }
  await server.requireParent(r.z32, dir);
  server.requireUnlocked(ex, r.z32, dir, { membership: true });
  await server.makeCollection(r.z32, dir);
  server.send(ex.res, 201, {});
}
