import { Readable } from 'node:stream';
import { httpError } from '../http/errors.ts';
import { splitUrl } from '../http/url.ts';
import { asDir, parseDavPath, underMount, type PathResource, type Resource } from './dav-path.ts';
import { forbidden, header, notFound, type DavExchange, type DavServer } from './dav-server.ts';

/**
 * COPY and MOVE (RFC 4918 §9.8, §9.9) of files and whole collections within one user's tree. An
 * existing destination is replaced, not merged into (§9.8.4, §9.9.3); `Overwrite: F` then is 412.
 * The destination's parent must exist (409). Dead properties travel along; locks do not.
 */

/** The same resource, however the client spelled it (trailing slash, percent-encoding). */
function sameResource(a: PathResource, b: PathResource): boolean {
  const strip = (p: string) => (p.endsWith('/') ? p.slice(0, -1) : p);
  return a.z32 === b.z32 && strip(a.path) === strip(b.path);
}

function destinationOf(server: DavServer, ex: DavExchange): PathResource {
  const destination = ex.req.headers.destination;
  if (typeof destination !== 'string') throw httpError('DAV_NO_DESTINATION');
  let path: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(destination)) {
    let url: URL;
    try {
      url = new URL(destination);
    } catch {
      throw httpError('DAV_BAD_HEADER', 'Destination is not a valid URL');
    }
    if (url.host !== ex.req.headers.host) throw forbidden('Destination must be on this server (same host as the request)');
    path = url.pathname;
  } else {
    path = splitUrl(destination).path;
  }
  if (!underMount(server.mount, path)) throw forbidden(`Destination must be under ${server.mount.prefix}/ on this server`);
  const target: Resource = parseDavPath(server.mount, path);
  if (target.kind !== 'path') throw forbidden('Destination must be a file or collection under /pub/ or /priv/');
  if (target.z32 !== (ex.r as PathResource).z32) throw forbidden("Destination must be in the same user's tree");
  return target;
}

async function copyFile(server: DavServer, z32: string, from: string, to: string): Promise<void> {
  const content = await server.files.get(z32, from, { admin: true });
  if (!content) throw notFound();
  const body: AsyncIterable<Uint8Array> = content.inline ? Readable.from([content.inline]) : content.body;
  await server.files.put(z32, to, body, { admin: server.admin, sizeHint: content.entry.contentLength });
}

export async function transfer(server: DavServer, ex: DavExchange, move: boolean): Promise<void> {
  const r = ex.r;
  if (r.kind !== 'path') throw forbidden('Only files and collections under /pub/ and /priv/ can be copied or moved');
  const target = destinationOf(server, ex);
  // Copying onto itself would rewrite the file, and moving would then delete it.
  if (sameResource(r, target)) throw forbidden('Source and destination are the same');
  await server.existingUser(r.z32);
  const overwrite = (header(ex.req, 'overwrite') ?? 'T').trim().toUpperCase();
  if (overwrite !== 'T' && overwrite !== 'F') throw httpError('DAV_BAD_HEADER', 'Overwrite is T or F');
  const depth = (header(ex.req, 'depth') ?? 'infinity').trim().toLowerCase();
  const { file, dir } = await server.classify(r);
  if (!file && !dir) throw notFound();
  if (dir && depth !== 'infinity' && !(depth === '0' && !move))
    throw httpError(
      'DAV_BAD_HEADER',
      move ? 'MOVE of a collection takes Depth: infinity' : 'COPY of a collection takes Depth: 0 or infinity',
    );
  const from = file ? file.path : asDir(r.path);
  const to = dir ? asDir(target.path) : target.path.endsWith('/') ? target.path.slice(0, -1) : target.path;
  if (dir && to.startsWith(from)) throw forbidden('Cannot copy or move a collection into itself');
  if (file && from.startsWith(asDir(to))) throw forbidden('Cannot replace a collection with a file inside it');

  const existing = await server.classify({ ...target, path: to, dir: to.endsWith('/') });
  const other =
    existing.file || existing.dir ? existing : await server.classify({ ...target, path: dir ? to.slice(0, -1) : `${to}/`, dir: !dir });
  const existed = other.file !== null || other.dir;
  if (existed && overwrite === 'F') throw httpError('DAV_DESTINATION_EXISTS');
  server.authorize(to, 'w');
  if (!move) server.authorize(from, 'r');
  await server.requireParent(r.z32, to);
  if (move) server.requireUnlocked(ex, r.z32, from, { deep: dir, membership: true });
  server.requireUnlocked(ex, r.z32, to, { deep: true, membership: true });

  if (existed) await server.remove(r.z32, other.file ? other.file.path : asDir(to), !other.file);
  if (file) {
    await copyFile(server, r.z32, from, to);
  } else {
    const members = depth === '0' ? [] : await server.filesUnder(r.z32, from);
    if (members.length === 0 || depth === '0') await server.makeCollection(r.z32, to);
    for (const p of members) await copyFile(server, r.z32, p, to + p.slice(from.length));
  }
  server.props.copy(r.z32, from, r.z32, to, depth !== '0');
  if (move) await server.remove(r.z32, from, dir);
  server.send(ex.res, existed ? 204 : 201, {});
}
