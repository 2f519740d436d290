import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { readBody, type BodyLimits } from '../http/body.ts';
import { ERROR_CODE_HEADER, httpError, type HttpError } from '../http/errors.ts';
import { toHttpError } from '../http/error-handler.ts';
import { splitUrl } from '../http/url.ts';
import { isUnderStorageRoot } from '../storage/path-policy.ts';
import type { FileEntry, FileStore, UserStore } from '../storage/types.ts';
import { DeadProperties } from './dead-props.ts';
import { asDir, asFile, parentOf, parseDavPath, underMount, type DavMount, type PathResource, type Resource } from './dav-path.ts';
import { parseIfHeader, submittedTokens } from './if-header.ts';
import { LockTable, type DavLock } from './locks.ts';

/**
 * The state and the shared steps of a WebDAV server (RFC 4918 class 1 and 2) over the storage
 * stack: resource lookup, the directory marker, lock and `If` checks, bodies and answers. The
 * methods live in their own files (`methods-*.ts`, `propfind.ts`, `proppatch.ts`, `lock.ts`) and
 * receive a DavExchange; `dav-handler.ts` dispatches to them.
 */

/**
 * The zero-byte file that makes an empty collection exist (MKCOL). It is an ordinary file to the
 * rest of the system — an entry, a PUT event, 256 bytes of quota, exported, mirrored and migrated
 * like any other — so nothing else needs a special case; WebDAV hides it from listings and refuses
 * it as a name.
 */
export const DIR_MARKER = '.pubky-dir';

/** Children listed per PROPFIND and files touched per recursive DELETE/COPY/MOVE, at most. */
export const MAX_ITEMS = 10_000;
/** XML request bodies (PROPFIND, PROPPATCH, LOCK), at most. */
const MAX_XML_BYTES = 1024 * 1024;

export const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK';

/** Shared by every mount of one homeserver: the same files have the same locks and properties. */
export interface DavState {
  locks: LockTable;
  props: DeadProperties;
}

export function createDavState(): DavState {
  return { locks: new LockTable(), props: new DeadProperties() };
}

export interface DavServerOptions {
  files: FileStore;
  users: Pick<UserStore, 'get' | 'list'>;
  mount: DavMount;
  state: DavState;
  limits: BodyLimits;
  log: Logger;
  /** Operator writes bypass allowed paths and the disabled check (spec §5.1); a user's do not. */
  admin: boolean;
  /** What the credential may do (an app password's capabilities); absent = everything (the operator). */
  access?: (path: string, action: 'r' | 'w') => boolean;
}

export interface DavExchange {
  req: IncomingMessage;
  res: ServerResponse;
  r: Resource;
  /** Who is asking (owner of the locks they take): `admin` or the user's key. */
  principal: string;
  /** Lock tokens the `If` header submitted that are this principal's live locks. */
  tokens: Set<string>;
}

/** A request header as one string (a repeated one joined, as HTTP lists are). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export const notFound = (): HttpError => httpError('NOT_FOUND');
export const forbidden = (message: string): HttpError => httpError('DAV_FORBIDDEN', message);
export const conflict = (message: string): HttpError => httpError('DAV_CONFLICT', message);

export class DavServer {
  readonly files: FileStore;
  readonly users: Pick<UserStore, 'get' | 'list'>;
  readonly mount: DavMount;
  readonly locks: LockTable;
  readonly props: DeadProperties;
  readonly limits: BodyLimits;
  readonly log: Logger;
  readonly admin: boolean;
  private readonly access: ((path: string, action: 'r' | 'w') => boolean) | undefined;

  constructor(o: DavServerOptions) {
    this.files = o.files;
    this.users = o.users;
    this.mount = o.mount;
    this.locks = o.state.locks;
    this.props = o.state.props;
    this.limits = o.limits;
    this.log = o.log;
    this.admin = o.admin;
    this.access = o.access;
  }

  /**
   * 403 unless the credential may `action` at `path`: writes need a `w` capability covering it,
   * reads of `/priv/` an `r` one (public files are public anyway). The operator may do anything.
   */
  authorize(path: string, action: 'r' | 'w'): void {
    if (!this.access) return;
    if (!isUnderStorageRoot(path)) throw httpError('DAV_FORBIDDEN', 'Only /pub/ and /priv/ hold files and collections');
    if (action === 'r' && !path.startsWith('/priv/')) return;
    if (!this.access(path, action)) {
      throw httpError(
        'DAV_FORBIDDEN',
        `This app password does not allow ${action === 'w' ? 'writing' : 'reading'} ${path}; create one with the capability (pubky dav-password --caps …)`,
      );
    }
  }

  parse(rawUrl: string): Resource {
    // A fragment never belongs in a request target; cutting it off would act on another resource.
    if (rawUrl.includes('#')) throw httpError('INVALID_URL', 'a request URI has no fragment (#)');
    return parseDavPath(this.mount, splitUrl(rawUrl).path);
  }

  async existingUser(z32: string): Promise<void> {
    if (!(await this.users.get(z32))) throw httpError('USER_NOT_FOUND');
  }

  /** The file at a path resource (never for a URL ending with `/`). */
  async fileOf(r: PathResource): Promise<FileEntry | null> {
    if (r.dir) return null;
    return this.files.head(r.z32, r.path, { admin: true });
  }

  /** Whether `dir` (ending with `/`) is a collection: a storage root, or anything (a marker, a file) under it. */
  async isCollection(z32: string, dir: string): Promise<boolean> {
    if (dir === '/pub/' || dir === '/priv/') return true;
    return (await this.files.list(z32, dir, { limit: 1, admin: true })) !== null;
  }

  /** What a path URL names: a file, a collection, or nothing (a URL without `/` may name a collection). */
  async classify(r: PathResource): Promise<{ file: FileEntry | null; dir: boolean }> {
    if (r.dir) return { file: null, dir: await this.isCollection(r.z32, r.path) };
    const file = await this.fileOf(r);
    if (file) return { file, dir: false };
    return { file: null, dir: await this.isCollection(r.z32, `${r.path}/`) };
  }

  /** The parent collection must exist for anything to be created in it (RFC 4918 §9.3.1, §9.7.1). */
  async requireParent(z32: string, path: string): Promise<void> {
    const parent = parentOf(path);
    if (!isUnderStorageRoot(parent)) throw forbidden('Only /pub/ and /priv/ hold files and collections');
    if (!(await this.isCollection(z32, parent))) throw conflict(`The parent collection ${parent} does not exist: create it first (MKCOL)`);
    if (await this.files.head(z32, asFile(parent), { admin: true })) throw conflict(`${asFile(parent)} is a file, not a collection`);
  }

  /** Every file path under `dir` (deep, markers included), up to MAX_ITEMS. */
  async filesUnder(z32: string, dir: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | null = null;
    while (out.length <= MAX_ITEMS) {
      const page: string[] | null = await this.files.list(z32, dir, { limit: 1000, cursor, admin: true });
      if (!page || page.length === 0) break;
      out.push(...page);
      cursor = page[page.length - 1]!;
    }
    if (out.length > MAX_ITEMS) throw httpError('TOO_MANY_FILES', `More than ${MAX_ITEMS} files under ${dir}: use the API page by page`);
    return out;
  }

  /** Creates the marker that makes `dir` exist as an (empty) collection. */
  async makeCollection(z32: string, dir: string): Promise<void> {
    await this.files.put(z32, `${dir}${DIR_MARKER}`, Readable.from([]), { admin: this.admin });
  }

  /** Removes a file or a whole collection (markers included), and its locks and properties. */
  async remove(z32: string, path: string, isDir: boolean): Promise<void> {
    if (isDir) {
      const dir = asDir(path);
      for (const p of await this.filesUnder(z32, dir)) await this.files.delete(z32, p, { admin: this.admin });
      this.props.drop(z32, dir);
      this.locks.dropWithin(z32, dir);
    } else {
      await this.files.delete(z32, path, { admin: this.admin });
      this.props.drop(z32, path);
      this.locks.dropWithin(z32, path);
    }
  }

  /**
   * Evaluates the `If` header (RFC 4918 §10.4) for the request: 412 when no list holds; the lock
   * tokens it submits (only this principal's live ones count) go into `ex.tokens`.
   */
  async checkIf(ex: DavExchange): Promise<void> {
    const ifHeader = header(ex.req, 'if');
    if (ifHeader === undefined) return;
    const lists = parseIfHeader(ifHeader);
    let holds = false;
    for (const list of lists) {
      const target = list.resource === null ? ex.r : this.taggedResource(list.resource);
      if (target === null || target.kind !== 'path') continue;
      const key = await this.lockKey(target);
      let etag: string | null | undefined;
      let all = true;
      for (const c of list.conditions) {
        let v: boolean;
        if (c.token !== undefined) {
          const lock = this.locks.get(c.token);
          v =
            lock !== undefined &&
            lock.principal === ex.principal &&
            lock.user === target.z32 &&
            this.locks.covering(target.z32, key).includes(lock);
        } else {
          etag ??= target.dir ? null : ((await this.files.head(target.z32, target.path, { admin: true }))?.etag ?? null);
          v = etag !== null && c.etag === etag;
        }
        if (c.not) v = !v;
        if (!v) {
          all = false;
          break;
        }
      }
      if (all) {
        holds = true;
        break;
      }
    }
    for (const t of submittedTokens(lists)) {
      const lock = this.locks.get(t);
      if (lock && lock.principal === ex.principal) ex.tokens.add(t);
    }
    if (!holds) throw httpError('DAV_IF_FAILED');
  }

  /** A resource named in an If header's tagged list (absolute URL or path), or null when not ours. */
  taggedResource(url: string): Resource | null {
    let path: string;
    try {
      path = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? new URL(url).pathname : splitUrl(url).path;
    } catch {
      return null;
    }
    if (!underMount(this.mount, path)) return null;
    try {
      return parseDavPath(this.mount, path);
    } catch {
      return null;
    }
  }

  /** The key locks use for a resource: collections end with `/`. */
  async lockKey(r: PathResource): Promise<string> {
    if (r.dir) return r.path;
    return (await this.isCollection(r.z32, `${r.path}/`)) && !(await this.fileOf(r)) ? `${r.path}/` : r.path;
  }

  /**
   * 423 unless every lock on these resources was submitted with the request: `deep` adds the locks
   * under a collection (DELETE, MOVE, overwrite), and creating or removing a member needs the
   * parent collection's locks too (a lock on a collection protects its membership).
   */
  requireUnlocked(ex: DavExchange, z32: string, path: string, opts: { deep?: boolean; membership?: boolean } = {}): void {
    const locks: DavLock[] = [...this.locks.covering(z32, path)];
    if (opts.deep) locks.push(...this.locks.within(z32, path));
    if (opts.membership) {
      const parent = parentOf(path);
      if (parent !== '/') locks.push(...this.locks.covering(z32, parent).filter((l) => l.path === parent || l.depth === 'infinity'));
    }
    // Shared locks on one resource: submitting any of them is enough.
    const byRoot = new Map<string, DavLock[]>();
    for (const l of locks) byRoot.set(l.path, [...(byRoot.get(l.path) ?? []), l]);
    for (const [root, group] of byRoot) {
      if (!group.some((l) => ex.tokens.has(l.token))) {
        throw httpError('DAV_LOCKED', `Locked: ${root} is locked; submit its lock token in an If header`);
      }
    }
  }

  async readXml(req: IncomingMessage): Promise<Buffer> {
    return readBody(req, {
      ...this.limits,
      maxBytes: MAX_XML_BYTES,
      tooLarge: () => httpError('BODY_TOO_LARGE', `XML bodies are limited to ${MAX_XML_BYTES} bytes`).withHeaders({ connection: 'close' }),
    });
  }

  /** Sends a complete answer. */
  send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Uint8Array): void {
    const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
    const h: Record<string, string | number> = { ...headers };
    if (status !== 204 && status !== 304) h['content-length'] = payload?.length ?? 0;
    res.writeHead(status, h);
    res.end(payload);
  }

  sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string | number> = {}): void {
    this.send(res, status, { 'content-type': 'application/xml; charset=utf-8', ...headers }, xml);
  }

  /** Streams a file body, respecting backpressure. */
  async stream(
    res: ServerResponse,
    status: number,
    headers: Record<string, string | number>,
    body: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    res.writeHead(status, headers);
    await pipeline(Readable.from(body, { objectMode: false }), res);
  }

  /** Answers a failure: plain text with its stable code, or the end of a connection already answering. */
  fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      this.log.warn({ err, method: req.method, url: req.url }, 'webdav: error after the answer started');
      res.destroy();
      return;
    }
    let http = toHttpError(err);
    if (!http) {
      this.log.error({ err, method: req.method, url: req.url }, 'webdav: unhandled error');
      http = httpError('INTERNAL');
    }
    const headers: Record<string, string> = {
      ...http.headers,
      [ERROR_CODE_HEADER]: http.code,
      'content-type': 'text/plain; charset=utf-8',
    };
    // A body not read yet would be taken for the next request.
    if (!req.complete) headers.connection = 'close';
    this.send(res, http.status, headers, req.method === 'HEAD' ? undefined : http.message);
    if (!req.complete) req.resume();
  }
}
