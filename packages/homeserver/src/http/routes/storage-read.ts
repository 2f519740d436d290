import { Readable } from 'node:stream';
import type { PublicKey } from '@pubky-ts/common';
import type { HttpReply } from '../core/http-reply.ts';
import type { HttpRequest } from '../core/http-request.ts';
import { authorizePrivateRead, readAccess } from '../../auth/authorize.ts';
import type { FileEntry, FileStore } from '../../storage/types.ts';
import { pacedResponse } from '../bandwidth.ts';
import { httpError } from '../errors.ts';
import { rangeSelector, setLengthHeaders } from '../range.ts';
import { lenientLimit, listCursor, parseQueryOr400, strictBool } from '../query.ts';
import { queryGet } from '../url.ts';
import type { StorageRequests } from './storage-request.ts';

let lastDate = { seconds: -1, text: '' };
function httpDate(micros: number): string {
  const seconds = Math.floor(micros / 1e6);
  if (lastDate.seconds !== seconds) lastDate = { seconds, text: new Date(seconds * 1000).toUTCString() };
  return lastDate.text;
}

/** If-None-Match alone decides when present (exact, comma-split); else If-Modified-Since (seconds). */
export function notModified(request: Pick<HttpRequest, 'headers'>, entry: FileEntry): boolean {
  const inm = request.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((t) => t.trim() === entry.etag);
  const ims = request.headers['if-modified-since'];
  if (ims === undefined) return false;
  const t = Date.parse(ims);
  if (Number.isNaN(t)) return false;
  return Math.floor(t / 1000) >= Math.floor(entry.modifiedAt / 1e6);
}

function fileHeaders(reply: HttpReply, request: HttpRequest, entry: FileEntry): void {
  reply.header('etag', entry.etag);
  reply.header('last-modified', httpDate(entry.modifiedAt));
  reply.header('cache-control', 'private, must-revalidate');
  if (request.target.addressing === 'legacy') reply.header('vary', 'pubky-host');
}

/** GET and HEAD of files (conditional, ranged, paced) and GET of directories (spec §1.7, §2; delta §2). */
export class StorageReads {
  constructor(
    private readonly requests: StorageRequests,
    private readonly files: FileStore,
  ) {}

  /** GET or HEAD of one path: directory listing, 304, HEAD, or the (ranged, paced) body. */
  async read(request: HttpRequest, reply: HttpReply): Promise<void> {
    const { requests, files } = this;
    requests.countRequest(request);
    const tenant = requests.tenantOf(request);
    const sp = requests.storagePath(request);
    if (readAccess(sp.path) === 'private') authorizePrivateRead(await requests.session(request), tenant, sp.path);
    const head = request.method === 'HEAD';
    if (sp.isDirectory) {
      if (head) throw httpError('NOT_FOUND');
      return this.list(request, reply, tenant, sp.path);
    }
    const conditional = request.headers['if-none-match'] !== undefined || request.headers['if-modified-since'] !== undefined;
    if (head || conditional) {
      const entry = await files.head(tenant.z32, sp.path);
      if (!entry) throw httpError('NOT_FOUND');
      fileHeaders(reply, request, entry);
      if (notModified(request, entry)) {
        reply.code(304).send();
        return;
      }
      if (head) {
        setLengthHeaders(reply, entry, null).type(entry.contentType);
        reply.send();
        return;
      }
    }
    const range = rangeSelector(request.headers);
    const content = await (range ? files.get(tenant.z32, sp.path, { range }) : files.get(tenant.z32, sp.path));
    if (!content) throw httpError('NOT_FOUND');
    const entry = content.entry;
    fileHeaders(reply, request, entry);
    setLengthHeaders(reply, entry, content.range).type(entry.contentType);
    const pacing = requests.pacerFor(request, 'read');
    const pacer = pacing instanceof Promise ? await pacing : pacing;
    if (pacer) {
      reply.send(pacedResponse(content.inline ?? content.body, pacer));
      return;
    }
    if (content.inline) {
      const b = content.inline;
      reply.send(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    } else {
      const body = content.body as AsyncIterable<Uint8Array> & { pipe?: unknown };
      reply.send(typeof body.pipe === 'function' ? body : Readable.from(body, { objectMode: false }));
    }
  }

  /** GET of a directory: `pubky://` URLs, one per line (`limit`, `cursor`, `reverse`, `shallow`). */
  private async list(request: HttpRequest, reply: HttpReply, tenant: PublicKey, dir: string): Promise<void> {
    const q = parseQueryOr400(request.rawQuery);
    const reverse = strictBool(queryGet(q, 'reverse'));
    const shallow = strictBool(queryGet(q, 'shallow'));
    const cursor = listCursor(queryGet(q, 'cursor'));
    const limit = lenientLimit(queryGet(q, 'limit'));
    const paths = await this.files.list(tenant.z32, dir, { limit, cursor, reverse, shallow });
    if (paths === null) throw httpError('DIRECTORY_NOT_FOUND');
    if (request.target.addressing === 'legacy') reply.header('vary', 'pubky-host');
    const prefix = `pubky://${tenant.z32}`;
    reply.type('text/plain').send(paths.map((p) => prefix + p).join('\n'));
  }
}
