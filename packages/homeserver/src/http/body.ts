import type { IncomingMessage } from 'node:http';
import type { WholeBody } from '../storage/types.ts';
import { type HttpError, httpError } from './errors.ts';

/** Request bodies, read by the routes themselves (the HTTP core parses none). */

export const bodyIdleTimeout = (ms: number): HttpError => httpError('BODY_IDLE_TIMEOUT', ms);

/** The declared Content-Length, or null when absent/unparsable (chunked bodies). */
export function declaredLength(req: IncomingMessage): number | null {
  const h = req.headers['content-length'];
  if (h === undefined || !/^\d{1,15}$/.test(h)) return null;
  return Number(h);
}

export interface BodyLimits {
  /** null = unlimited. */
  maxBytes: number | null;
  idleMs: number;
  /** Builds the error for a body over `maxBytes`. */
  tooLarge: () => HttpError;
}

/**
 * The request body as chunks, with slow-upload protection (no byte for `idleMs` → 408) and a size
 * cap (→ 413, checked early against Content-Length). Errors carry `Connection: close` so the rest
 * of an unread body does not poison the connection.
 */
export async function* streamBody(req: IncomingMessage, limits: BodyLimits): AsyncGenerator<Uint8Array> {
  const declared = declaredLength(req);
  if (limits.maxBytes !== null && declared !== null && declared > limits.maxBytes) throw limits.tooLarge();
  if (declared === 0) return;
  const it = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  let rejectIdle: ((e: unknown) => void) | undefined;
  const idle = new Promise<never>((_, reject) => {
    rejectIdle = reject;
  });
  idle.catch(() => {});
  const arm = (): void => {
    timer = setTimeout(() => rejectIdle!(bodyIdleTimeout(limits.idleMs)), limits.idleMs);
  };
  try {
    for (;;) {
      arm();
      const r = await Promise.race([it.next(), idle]);
      clearTimeout(timer);
      if (r.done) return;
      total += r.value.length;
      if (limits.maxBytes !== null && total > limits.maxBytes) throw limits.tooLarge();
      yield r.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Buffers a whole body under the same protections. */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of streamBody(req, limits)) chunks.push(c);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/** Declared bodies up to this size are read in one piece (a WholeBody) instead of chunk by chunk. */
export const WHOLE_BODY_MAX_BYTES = 64 * 1024;

/**
 * A small request body with a declared length, as a WholeBody: `whole()` collects it with plain
 * 'data'/'end' listeners and a single idle timer (no async iterator, no per-chunk promise race).
 * Same protections as streamBody: idle → 408, more than `maxBytes` → `tooLarge()`, a client that
 * goes away → the promise rejects. Nothing is read until `whole()` (or iteration) is called.
 * A class rather than closures: this runs once per upload, and every named closure costs a
 * `__name` call under tsx.
 */
class RequestWholeBody implements WholeBody {
  private promise: Promise<Uint8Array> | undefined;
  private resolve!: (b: Uint8Array) => void;
  private reject!: (e: unknown) => void;
  private first: Buffer | null = null;
  private more: Buffer[] | null = null;
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onData = this.data.bind(this);
  private readonly onEnd = this.finish.bind(this, null);
  private readonly onError = this.finish.bind(this);
  private readonly onClose = this.closed.bind(this);

  constructor(
    private readonly req: IncomingMessage,
    private readonly declared: number,
    private readonly limits: BodyLimits,
  ) {}

  whole(): Promise<Uint8Array> {
    this.promise ??= new Promise<Uint8Array>(this.start.bind(this));
    return this.promise;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const bytes = await this.whole();
    if (bytes.length > 0) yield bytes;
  }

  private start(resolve: (b: Uint8Array) => void, reject: (e: unknown) => void): void {
    const { req, limits } = this;
    if (limits.maxBytes !== null && this.declared > limits.maxBytes) return reject(limits.tooLarge());
    if (this.declared === 0) return resolve(new Uint8Array(0));
    this.resolve = resolve;
    this.reject = reject;
    this.timer = setTimeout(this.finish.bind(this, 'idle'), limits.idleMs);
    req.on('data', this.onData);
    req.on('end', this.onEnd);
    req.on('error', this.onError);
    req.on('close', this.onClose);
  }

  private data(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.limits.maxBytes !== null && this.total > this.limits.maxBytes) return this.finish(this.limits.tooLarge());
    if (this.first === null) this.first = chunk;
    else (this.more ??= [this.first]).push(chunk);
    this.timer?.refresh();
  }

  private closed(): void {
    this.finish(new Error('aborted'));
  }

  private finish(err: unknown): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const req = this.req;
    req.off('data', this.onData);
    req.off('end', this.onEnd);
    req.off('error', this.onError);
    req.off('close', this.onClose);
    if (err) {
      // The rest is not read: the route answers with `Connection: close`.
      req.pause();
      this.reject(err === 'idle' ? bodyIdleTimeout(this.limits.idleMs) : err);
    } else {
      this.resolve(this.more ? Buffer.concat(this.more, this.total) : (this.first ?? new Uint8Array(0)));
    }
  }
}

export function wholeBody(req: IncomingMessage, declared: number, limits: BodyLimits): WholeBody {
  return new RequestWholeBody(req, declared, limits);
}
