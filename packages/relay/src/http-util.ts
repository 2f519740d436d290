// Small helpers shared by both relay servers (plain node:http, no framework).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PubkyError } from '@pubky-ts/common';

export class BodyTooLargeError extends PubkyError {
  declare readonly code: 'BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super('BODY_TOO_LARGE', `Request body is larger than ${limit} bytes`);
  }
}

export class BodyAbortedError extends PubkyError {
  declare readonly code: 'BODY_ABORTED';
  constructor() {
    super('BODY_ABORTED', 'Request body was aborted by the client');
  }
}

/** True when the declared Content-Length already exceeds `limit` (checked before reading anything). */
export function declaredLengthExceeds(req: IncomingMessage, limit: number): boolean {
  const cl = req.headers['content-length'];
  if (cl === undefined) return false;
  const n = Number(cl);
  return Number.isFinite(n) && n > limit;
}

/**
 * Reads the whole request body, rejecting with BodyTooLargeError as soon as more than `limit`
 * bytes arrived (also covers chunked bodies without Content-Length).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (declaredLengthExceeds(req, limit)) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the response will carry `Connection: close` so the rest is dropped.
        req.pause();
        finish(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onError = (e: Error) => finish(e);
    const onAborted = () => finish(new BodyAbortedError());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Sends a short text response; safe to call when the response may already be finished. */
export function sendText(res: ServerResponse, status: number, text: string, extraHeaders?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(text, 'utf8');
  res.statusCode = status;
  if (extraHeaders) for (const k in extraHeaders) res.setHeader(k, extraHeaders[k]);
  if (body.length > 0 && !res.hasHeader('content-type')) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** Address of the server as a URL with a concrete host (0.0.0.0/:: become loopback). */
export function serverUrl(host: string, port: number): string {
  let h = host;
  if (h === '0.0.0.0' || h === '') h = '127.0.0.1';
  if (h === '::') h = '::1';
  if (h.includes(':')) h = `[${h}]`;
  return `http://${h}:${port}`;
}
