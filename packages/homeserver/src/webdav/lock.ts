import { Readable } from 'node:stream';
import { httpError } from '../http/errors.ts';
import { asDir } from './dav-path.ts';
import { forbidden, header, type DavExchange, type DavServer } from './dav-server.ts';
import { childElements, expectRoot, isDav, parseXmlBody, serialize } from './dav-xml.ts';
import { lockTimeout } from './locks.ts';
import { activeLockXml } from './propfind.ts';

/**
 * LOCK and UNLOCK (RFC 4918 §9.10, §9.11): write locks, exclusive or shared, depth 0 or infinity,
 * with timeouts; a LOCK without a body refreshes the lock the If header names; a LOCK of an
 * unmapped URL creates an empty file (§7.3).
 */
const answer = (xml: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:"><D:lockdiscovery>${xml}</D:lockdiscovery></D:prop>`;

export async function lock(server: DavServer, ex: DavExchange): Promise<void> {
  const r = ex.r;
  if (r.kind !== 'path') throw forbidden('Only files and collections under /pub/ and /priv/ can be locked');
  await server.existingUser(r.z32);
  const root = parseXmlBody(await server.readXml(ex.req));
  const timeout = lockTimeout(header(ex.req, 'timeout'));
  const { file, dir } = await server.classify(r);
  const path = file ? file.path : dir ? asDir(r.path) : r.path;

  if (root === null) {
    // A refresh: the If header must name a lock of this principal that applies here.
    const held = server.locks.covering(r.z32, path).filter((l) => ex.tokens.has(l.token));
    if (held.length === 0) throw httpError('DAV_NO_LOCK_TO_REFRESH');
    for (const l of held) server.locks.refresh(l, timeout);
    server.sendXml(ex.res, 200, answer(held.map(activeLockXml).join('')));
    return;
  }

  expectRoot(root, 'lockinfo');
  let scope: 'exclusive' | 'shared' | null = null;
  let write = false;
  let ownerXml = '';
  for (const el of childElements(root)) {
    if (isDav(el, 'lockscope')) {
      const s = childElements(el)[0];
      scope = s && isDav(s, 'exclusive') ? 'exclusive' : s && isDav(s, 'shared') ? 'shared' : null;
    } else if (isDav(el, 'locktype')) {
      const t = childElements(el)[0];
      write = t !== undefined && isDav(t, 'write');
    } else if (isDav(el, 'owner')) {
      ownerXml = serialize(el);
    }
  }
  if (scope === null || !write)
    throw httpError('DAV_INVALID_XML', 'DAV:lockinfo needs a lockscope (exclusive or shared) and a write locktype');
  if (ownerXml.length > 4096) throw httpError('DAV_INVALID_XML', 'DAV:owner is limited to 4096 bytes');
  const depthHeader = (header(ex.req, 'depth') ?? 'infinity').trim().toLowerCase();
  if (depthHeader !== '0' && depthHeader !== 'infinity') throw httpError('DAV_BAD_HEADER', 'LOCK takes Depth: 0 or infinity');

  let created = false;
  if (!file && !dir) {
    // Locking an unmapped URL creates an empty file in an existing collection.
    if (r.dir) throw httpError('DAV_CONFLICT', 'LOCK of a missing collection: create it first (MKCOL)');
    await server.requireParent(r.z32, r.path);
    server.requireUnlocked(ex, r.z32, r.path, { membership: true });
  }
  const made = server.locks.create({
    user: r.z32,
    path,
    depth: dir && depthHeader === 'infinity' ? 'infinity' : 0,
    scope,
    ownerXml,
    principal: ex.principal,
    timeoutSeconds: timeout,
  });
  if (made === null) throw httpError('DAV_TOO_MANY_LOCKS');
  if ('conflicts' in made) throw httpError('DAV_LOCKED', `Locked: ${made.conflicts[0]!.path} already holds a conflicting lock`);
  if (!file && !dir) {
    try {
      await server.files.put(r.z32, r.path, Readable.from([]), { admin: server.admin, ifNoneMatch: '*' });
      created = true;
    } catch (e) {
      server.locks.remove(made.token);
      throw e;
    }
  }
  server.sendXml(ex.res, created ? 201 : 200, answer(activeLockXml(made)), { 'lock-token': `<${made.token}>` });
}

export async function unlock(server: DavServer, ex: DavExchange): Promise<void> {
  const r = ex.r;
  if (r.kind !== 'path') throw forbidden('Only files and collections under /pub/ and /priv/ can be unlocked');
  const m = /^\s*<([^>]+)>\s*$/.exec(header(ex.req, 'lock-token') ?? '');
  if (!m) throw httpError('DAV_BAD_HEADER', 'UNLOCK needs a Lock-Token header: <opaquelocktoken:…>');
  const l = server.locks.get(m[1]!);
  const key = await server.lockKey(r);
  if (!l || l.user !== r.z32 || !server.locks.covering(r.z32, key).includes(l)) {
    throw httpError('DAV_LOCK_TOKEN_MISMATCH');
  }
  if (l.principal !== ex.principal) throw httpError('DAV_NOT_LOCK_OWNER');
  server.locks.remove(l.token);
  server.send(ex.res, 204, {});
}
