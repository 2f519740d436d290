import type { HttpDeps } from '../context.ts';
import type { HttpReply } from '../core/http-reply.ts';
import type { HttpRequest } from '../core/http-request.ts';
import type { FileStore, WholeBody } from '../../storage/types.ts';
import { pacedBody } from '../bandwidth.ts';
import { declaredLength, streamBody, wholeBody, WHOLE_BODY_MAX_BYTES } from '../body.ts';
import { type HttpError, httpError } from '../errors.ts';
import { writeCondition } from '../write-preconditions.ts';
import type { StorageRequests } from './storage-request.ts';

/** PUT and DELETE of files (spec §1.7, §2; delta §2). */
export class StorageWrites {
  private readonly files: FileStore;
  private readonly maxFile: number | null;
  /** Body limits, built once: closures created per request cost a `__name` call each under tsx. */
  private readonly limits: { maxBytes: number | null; idleMs: number; tooLarge: () => HttpError };

  constructor(
    private readonly requests: StorageRequests,
    deps: HttpDeps,
  ) {
    this.files = deps.store.files;
    const maxFile = (this.maxFile = deps.config.drive.maxFileBytes);
    const tooLarge = (): HttpError =>
      httpError('BODY_TOO_LARGE', `File is too large (limit ${maxFile} bytes)`).withHeaders({ connection: 'close' });
    this.limits = { maxBytes: maxFile, idleMs: deps.config.drive.bodyIdleTimeoutMs, tooLarge };
  }

  /**
   * PUT. A small declared body is read once and can be offered again, so its first attempt may be
   * optimistic: session and user taken from memory without asking the database about other
   * writers (a read transaction), confirmed instead by the commit (the authority's `stamp`). Any failure of an
   * optimistic attempt — a check that failed on records that may be stale, or a commit that found
   * them changed — is forgotten and the request is answered by a checked attempt, exactly as if
   * it had been the only one. An acknowledged write was always authorised by current records.
   */
  async put(request: HttpRequest, reply: HttpReply): Promise<void> {
    const { requests, maxFile, limits } = this;
    requests.countRequest(request);
    const size = declaredLength(request.raw);
    const small = size !== null && size <= WHOLE_BODY_MAX_BYTES;
    const { ifMatch, ifNoneMatch } = writeCondition(request.headers);
    let whole: WholeBody | undefined;
    let optimistic = small;
    for (;;) {
      const s = (optimistic ? requests.peekedSession(request) : undefined) ?? (await requests.session(request, optimistic));
      const optimisticAttempt = s?.kind === 'cookie' && s.stamp !== undefined;
      try {
        const { tenant, path, authority } = requests.checkWrite(request, s);
        if (maxFile !== null && size !== null && size > maxFile) throw limits.tooLarge();
        const pacing = requests.pacerFor(request, 'write', s);
        const pacer = pacing instanceof Promise ? await pacing : pacing;
        // A client that disconnects mid-upload makes the body iteration throw, which aborts the put.
        try {
          const body = small ? (whole ??= wholeBody(request.raw, size, limits)) : streamBody(request.raw, limits);
          const entry = await this.files.put(tenant.z32, path, pacer ? pacedBody(body, pacer) : body, {
            sizeHint: size ?? undefined,
            authority,
            ifMatch,
            ifNoneMatch,
          });
          reply.header('etag', entry.etag);
        } catch (e) {
          // An error before the body was read (409, 507, 413…): close instead of draining the upload.
          if (!optimisticAttempt && !request.raw.complete) reply.header('connection', 'close');
          throw e;
        }
        reply.code(201).send();
        return;
      } catch (e) {
        if (!optimisticAttempt) throw e;
        request.sessionPromise = undefined;
        optimistic = false;
      }
    }
  }

  /** DELETE of one file (conditional on If-Match / If-None-Match). */
  async delete(request: HttpRequest, reply: HttpReply): Promise<void> {
    this.requests.countRequest(request);
    const { tenant, path, authority } = await this.requests.writeTarget(request);
    const { ifMatch, ifNoneMatch } = writeCondition(request.headers);
    await this.files.delete(tenant.z32, path, { authority, ifMatch, ifNoneMatch });
    reply.code(204).send();
  }
}
