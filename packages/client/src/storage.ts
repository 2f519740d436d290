// Storage on a user's homeserver: anyone's public reads (`PublicStorage`) and the owner's reads and
// writes through a session (`SessionStorage`). Homeserver spec §1.7, §2; delta §2 for `/storage/…`.
import { PublicKey } from '@pubky-ts/common';
import { ClientError } from './errors.ts';
import { httpError, type HomeserverRequest, type PubkyHttp } from './http.ts';
import { readWithFallback, type ReadMode } from './read-fallback.ts';
import { readTextLimited } from './read-limited.ts';
import { rangeHeader, readRange, type ByteRangeRequest, type RangeRead } from './range-read.ts';
import { normalizePath, parseResourceAddress, type ResourceAddress } from './pubky-url.ts';

/** What `HEAD` says about a file. */
export interface ResourceStats {
  /** Bytes (Content-Length). */
  size: number;
  contentType: string | null;
  /**
   * The quoted ETag (`"<base64 BLAKE3>"`). Null in browsers talking to another origin: the
   * homeserver does not expose the header to scripts.
   */
  etag: string | null;
  lastModified: Date | null;
}

export interface ListOptions {
  /** Continue after this entry (a `pubky://` URL from an earlier page, or a path). */
  cursor?: string;
  reverse?: boolean;
  /** Page size; the server defaults to 100 and caps at 1000. */
  limit?: number;
  /** Immediate children only; sub-directories appear once, ending in `/`. */
  shallow?: boolean;
  signal?: AbortSignal;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export type PutBody = Uint8Array | ArrayBuffer | string | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

const MAX_LIST_LINE = 4096;

/** Turns any accepted body into something fetch can send. */
export function toBodyInit(body: PutBody): BodyInit {
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer) return body as BodyInit;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body;
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return body;
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await it.next();
          if (done) controller.close();
          else if (!(value instanceof Uint8Array))
            controller.error(new ClientError('invalid_argument', 'a streamed body must yield Uint8Array chunks'));
          else controller.enqueue(value);
        } catch (e) {
          controller.error(e);
        }
      },
      async cancel(reason) {
        await it.return?.(reason);
      },
    });
  }
  throw new ClientError('invalid_argument', 'a body is bytes, text, a Blob, a ReadableStream or an AsyncIterable of bytes');
}

/** Parses a directory listing body into `pubky://` URLs. */
export function parseListing(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (line.length > MAX_LIST_LINE) throw new ClientError('invalid_response', 'a listing line is longer than any storage URL can be');
    let url = line;
    const https = /^https?:\/\/_pubky\.([^/]+)(\/.*)$/.exec(line);
    if (https) url = `pubky://${https[1]}${https[2]}`;
    const m = /^pubky:\/\/([^/]{52})(\/.*)$/.exec(url);
    if (!m || PublicKey.tryParse(m[1])?.z32 !== m[1]) {
      throw new ClientError('invalid_response', `the listing holds a line that is not a pubky URL: ${JSON.stringify(line.slice(0, 120))}`);
    }
    out.push(url);
  }
  return out;
}

function listQuery(owner: PublicKey, options: ListOptions): string {
  const parts: string[] = [];
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0 || options.limit > 65535) {
      throw new ClientError('invalid_argument', 'limit is an integer 0..65535');
    }
    parts.push(`limit=${options.limit}`);
  }
  if (options.cursor) {
    const cursor = options.cursor.startsWith('/') ? `${owner.z32}${options.cursor}` : options.cursor;
    parts.push(`cursor=${encodeURIComponent(cursor)}`);
  }
  // Key-only flags, as the reference SDK sends them (an empty value means true).
  if (options.reverse) parts.push('reverse');
  if (options.shallow) parts.push('shallow');
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

async function readStats(res: Response): Promise<ResourceStats> {
  await res.body?.cancel().catch(() => {});
  const length = res.headers.get('content-length');
  const lm = res.headers.get('last-modified');
  const date = lm ? new Date(lm) : null;
  return {
    size: length !== null && /^\d+$/.test(length) ? Number(length) : 0,
    contentType: res.headers.get('content-type'),
    etag: res.headers.get('etag'),
    lastModified: date && !Number.isNaN(date.getTime()) ? date : null,
  };
}

/** Reads shared by both storages; `target` maps the caller's address to owner + path + auth. */
abstract class StorageReader {
  protected constructor(protected readonly http: PubkyHttp) {}

  protected abstract target(address: string): ResourceAddress;
  protected abstract auth(owner: PublicKey): Promise<Partial<HomeserverRequest>>;

  /** With `read`, a read of public data that falls back to the owner's mirrors (mirror.ts). Writes never do. */
  protected async send(
    address: string,
    req: Omit<HomeserverRequest, 'path' | 'owner'> & { file?: boolean; read?: ReadMode },
  ): Promise<{ res: Response; target: ResourceAddress }> {
    const target = this.target(address);
    if (req.file && target.isDirectory) throw new ClientError('invalid_argument', `${target.path} is a directory; this needs a file path`);
    const { file: _file, read, ...rest } = req;
    const request: HomeserverRequest = {
      ...rest,
      ...(await this.auth(target.owner)),
      owner: target.owner,
      path: target.path,
      storagePath: target.path,
    };
    const res = read ? await readWithFallback(this.http, request, read) : await this.http.request(request);
    return { res, target };
  }

  protected async ok(
    address: string,
    req: Omit<HomeserverRequest, 'path' | 'owner'> & { file?: boolean; read?: ReadMode },
  ): Promise<Response> {
    const { res } = await this.send(address, req);
    if (!res.ok) throw await httpError(res, req.method ?? 'GET');
    return res;
  }

  /** The file's bytes. A missing file is a PubkyHttpError with status 404 (code `not_found`). */
  async getBytes(address: string, options: RequestOptions = {}): Promise<Uint8Array> {
    const res = await this.ok(address, { file: true, read: 'body', signal: options.signal });
    return new Uint8Array(await res.arrayBuffer());
  }

  async getText(address: string, options: RequestOptions = {}): Promise<string> {
    const res = await this.ok(address, { file: true, read: 'body', signal: options.signal });
    return res.text();
  }

  async getJson<T = unknown>(address: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.ok(address, { file: true, read: 'body', signal: options.signal, headers: { accept: 'application/json' } });
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new ClientError('invalid_response', `${address} does not hold JSON: ${(e as Error).message}`);
    }
  }

  /**
   * Part of a file (HTTP `Range`): `{ start, end }` (inclusive), `{ start }` to the end, or
   * `{ suffix }` for the last bytes. With `ifRange` (an ETag from `stats`) the part is read only from
   * that version; if the file changed since, the whole new file comes back with `partial: false`.
   * A range past the end is a PubkyHttpError with status 416.
   */
  async getRange(address: string, range: ByteRangeRequest, options: RequestOptions & { ifRange?: string } = {}): Promise<RangeRead> {
    const headers: Record<string, string> = { range: rangeHeader(range) };
    if (options.ifRange !== undefined) headers['if-range'] = options.ifRange;
    const res = await this.ok(address, { file: true, read: 'body', signal: options.signal, headers });
    return readRange(res, range, options.ifRange !== undefined);
  }

  /** The file as a stream, for large contents. */
  async getStream(address: string, options: RequestOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const res = await this.ok(address, { file: true, read: 'stream', signal: options.signal });
    return res.body ?? new ReadableStream({ start: (c) => c.close() });
  }

  /** Size, type, ETag and modification time from `HEAD`; null when the file does not exist. */
  async stats(address: string, options: RequestOptions = {}): Promise<ResourceStats | null> {
    const { res } = await this.send(address, { method: 'HEAD', file: true, read: 'head', signal: options.signal });
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel().catch(() => {});
      return null;
    }
    if (!res.ok) throw await httpError(res, 'HEAD');
    return readStats(res);
  }

  async exists(address: string, options: RequestOptions = {}): Promise<boolean> {
    return (await this.stats(address, options)) !== null;
  }

  /**
   * Lists a directory (the address must end with `/`): `pubky://<owner>/<path>` URLs in byte order.
   * A directory without entries is a 404; a page after the last entry is empty.
   */
  async list(address: string, options: ListOptions = {}): Promise<string[]> {
    const target = this.target(address);
    if (!target.isDirectory) throw new ClientError('invalid_argument', `list needs a directory path ending in "/", got ${target.path}`);
    const request: HomeserverRequest = {
      ...(await this.auth(target.owner)),
      owner: target.owner,
      path: target.path,
      storagePath: target.path,
      query: listQuery(target.owner, options),
      signal: options.signal,
    };
    const res = await readWithFallback(this.http, request, 'list');
    if (!res.ok) throw await httpError(res, 'GET');
    return parseListing(
      await readTextLimited(res, 8 * 1024 * 1024, () => new ClientError('invalid_response', 'the listing is larger than 8 MiB')),
    );
  }

  /** Every entry under a directory, page by page. */
  async *listAll(address: string, options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<string, void, undefined> {
    let cursor: string | undefined;
    const limit = options.limit ?? 500;
    for (;;) {
      const page = await this.list(address, { ...options, limit, cursor });
      for (const entry of page) yield entry;
      if (page.length < limit || page.length === 0) return;
      cursor = page[page.length - 1];
    }
  }
}

/** Anyone's public data, addressed `pubky://<user>/pub/…` or `pubky<user>/pub/…`. No session. */
export class PublicStorage extends StorageReader {
  constructor(http: PubkyHttp) {
    super(http);
  }
  protected target(address: string): ResourceAddress {
    return parseResourceAddress(address);
  }
  protected async auth(): Promise<Partial<HomeserverRequest>> {
    return { anonymous: true };
  }
}

/** Something that can authenticate requests as one user: a cookie session or a grant bearer. */
export interface SessionCredential {
  readonly user: PublicKey;
  readonly homeserver: PublicKey;
  /** A bearer token for grant sessions (refreshed when close to expiry); undefined for cookie sessions. */
  bearer(signal?: AbortSignal): Promise<string | undefined>;
}

/**
 * The session owner's storage: absolute paths (`/pub/app/x.json`, `/priv/app/…`) in their own tree.
 * Full `pubky://` addresses are accepted for reads of other users' public data.
 */
export class SessionStorage extends StorageReader {
  constructor(
    http: PubkyHttp,
    private readonly credential: SessionCredential,
  ) {
    super(http);
  }

  protected target(address: string): ResourceAddress {
    if (typeof address === 'string' && address.startsWith('/')) {
      const p = normalizePath(address);
      return { owner: this.credential.user, path: p.path, isDirectory: p.isDirectory };
    }
    return parseResourceAddress(address);
  }

  protected async auth(owner: PublicKey): Promise<Partial<HomeserverRequest>> {
    if (!owner.equals(this.credential.user)) return { anonymous: true };
    const bearer = await this.credential.bearer();
    return bearer ? { bearer, homeserver: this.credential.homeserver } : { homeserver: this.credential.homeserver };
  }

  private ownPath(path: string): string {
    const t = this.target(path);
    if (!t.owner.equals(this.credential.user)) {
      throw new ClientError('invalid_argument', `a session writes only to its own tree (${this.credential.user.z32}), not ${t.owner.z32}`);
    }
    return path;
  }

  /** Writes a file (PUT). Streams are sent as they come. */
  async put(path: string, body: PutBody, options: RequestOptions & { contentType?: string } = {}): Promise<void> {
    const headers: Record<string, string> = {};
    if (options.contentType) headers['content-type'] = options.contentType;
    const res = await this.ok(this.ownPath(path), { method: 'PUT', file: true, body: toBodyInit(body), headers, signal: options.signal });
    await res.body?.cancel().catch(() => {});
  }

  putBytes(path: string, bytes: Uint8Array, options: RequestOptions = {}): Promise<void> {
    return this.put(path, bytes, { ...options, contentType: 'application/octet-stream' });
  }

  putText(path: string, text: string, options: RequestOptions = {}): Promise<void> {
    return this.put(path, text, { ...options, contentType: 'text/plain; charset=utf-8' });
  }

  putJson(path: string, value: unknown, options: RequestOptions = {}): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new ClientError('invalid_argument', 'the value cannot be written as JSON');
    return this.put(path, text, { ...options, contentType: 'application/json' });
  }

  putStream(path: string, stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, options: RequestOptions = {}): Promise<void> {
    return this.put(path, stream, options);
  }

  /** Deletes a file. A missing file is a 404 PubkyHttpError. */
  async delete(path: string, options: RequestOptions = {}): Promise<void> {
    const res = await this.ok(this.ownPath(path), { method: 'DELETE', file: true, signal: options.signal });
    await res.body?.cancel().catch(() => {});
  }
}
