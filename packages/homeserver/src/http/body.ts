import type { IncomingMessage } from 'node:http';
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
