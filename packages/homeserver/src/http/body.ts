import type { IncomingMessage } from 'node:http';
import type { WholeBody } from '../storage/types.ts';
import { HttpError } from './errors.ts';

/** Request bodies, read by the routes themselves (fastify's parsers are switched off). */

export const bodyIdleTimeout = (ms: number): HttpError =>
  new HttpError(408, 'BODY_IDLE_TIMEOUT', `Request body stalled: no data for ${ms} ms`, { connection: 'close' });

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
 */
export function wholeBody(req: IncomingMessage, declared: number, limits: BodyLimits): WholeBody {
  let promise: Promise<Uint8Array> | undefined;
  const whole = (): Promise<Uint8Array> => {
    promise ??= new Promise<Uint8Array>((resolve, reject) => {
      if (limits.maxBytes !== null && declared > limits.maxBytes) return reject(limits.tooLarge());
      if (declared === 0) return resolve(new Uint8Array(0));
      let first: Buffer | null = null;
      let more: Buffer[] | null = null;
      let total = 0;
      const timer = setTimeout(() => finish(bodyIdleTimeout(limits.idleMs)), limits.idleMs);
      const onData = (chunk: Buffer): void => {
        total += chunk.length;
        if (limits.maxBytes !== null && total > limits.maxBytes) return finish(limits.tooLarge());
        if (first === null) first = chunk;
        else (more ??= [first]).push(chunk);
        timer.refresh();
      };
      const onEnd = (): void => finish(null);
      const onError = (err: Error): void => finish(err);
      const onClose = (): void => finish(new Error('aborted'));
      function finish(err: unknown): void {
        clearTimeout(timer);
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
        if (err) {
          // The rest is not read: the route answers with `Connection: close`.
          req.pause();
          reject(err);
        } else {
          resolve(more ? Buffer.concat(more, total) : (first ?? new Uint8Array(0)));
        }
      }
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
    return promise;
  };
  return {
    whole,
    async *[Symbol.asyncIterator]() {
      const bytes = await whole();
      if (bytes.length > 0) yield bytes;
    },
  };
}
