import type { ServerResponse } from 'node:http';
import { finished } from 'node:stream';
import type { HttpRequest } from './http-request.ts';
import { mediaTypeOf } from './media-type.ts';

const OCTET = 'application/octet-stream';
const PLAIN = 'text/plain; charset=utf-8';

/** What a reply needs from its app: the onSend step, the error path, and a logger. */
export interface ReplyOwner {
  /** Runs right before the head is written (not for hijacked replies). */
  beforeSend(request: HttpRequest, reply: HttpReply): void;
  /** Answers an error (here: a streamed body that failed before its first byte). */
  fail(error: unknown, request: HttpRequest, reply: HttpReply): void;
  warn(fields: object, message: string): void;
}

type StreamBody = NodeJS.ReadableStream & { destroy?: (error?: Error) => void };

/**
 * The answer under construction: status, headers (lower-case keys, in the order set), then one
 * `send` of nothing, bytes, text or a stream. A text body without a (valid) type is
 * `text/plain; charset=utf-8`, a JSON type gets `charset=utf-8`, bytes default to
 * `application/octet-stream` (the answers fastify gave, which clients have seen so far); Content-Length is set from the body unless the handler gave the right
 * one (HEAD keeps the handler's). Head and body are written with one `writeHead` + `end`.
 */
export class HttpReply {
  statusCode = 200;
  /** Whether the answer is written (or under way, for a stream), or the reply was hijacked. */
  sent = false;
  headers: Record<string, any> = {};

  constructor(
    readonly request: HttpRequest,
    readonly raw: ServerResponse,
    private readonly owner: ReplyOwner,
  ) {}

  header(key: string, value: any = ''): this {
    const k = key.toLowerCase();
    const prev = this.headers[k];
    // Several cookies are several Set-Cookie lines.
    if (k === 'set-cookie' && prev !== undefined) {
      this.headers[k] = (Array.isArray(prev) ? prev : [prev]).concat(value);
    } else {
      this.headers[k] = value;
    }
    return this;
  }

  getHeader(key: string): unknown {
    return this.headers[key.toLowerCase()];
  }

  getHeaders(): Record<string, unknown> {
    return { ...this.raw.getHeaders(), ...this.headers };
  }

  removeHeader(key: string): this {
    delete this.headers[key.toLowerCase()];
    return this;
  }

  code(statusCode: number): this {
    if (!(statusCode >= 100 && statusCode <= 599)) throw new RangeError(`bad status code ${statusCode}`);
    this.statusCode = statusCode;
    return this;
  }

  type(contentType: string): this {
    this.headers['content-type'] = contentType;
    return this;
  }

  /** The handler writes to `raw` itself from now on (event streams); nothing else is sent. */
  hijack(): this {
    this.sent = true;
    return this;
  }

  send(payload?: unknown): this {
    if (this.sent) {
      this.owner.warn({ method: this.request.method, url: this.request.url }, 'reply already sent');
      return this;
    }
    if (payload === undefined) {
      this.finish(undefined);
    } else if (payload !== null && typeof (payload as StreamBody).pipe === 'function') {
      this.stream(payload as StreamBody);
    } else if (payload instanceof Uint8Array) {
      const type = this.headers['content-type'];
      if (!type || !mediaTypeOf(type)) this.headers['content-type'] = OCTET;
      this.finish(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    } else if (typeof payload === 'string') {
      const type = this.headers['content-type'];
      const media = type ? mediaTypeOf(type) : null;
      if (!media) {
        this.headers['content-type'] = PLAIN;
      } else if (media.essence.includes('json') && !media.hasCharset) {
        this.headers['content-type'] = `${type}; charset=utf-8`;
      }
      this.finish(payload);
    } else {
      throw new TypeError('a reply sends nothing, bytes, text or a stream');
    }
    return this;
  }

  private finish(payload: Buffer | string | undefined): void {
    this.sent = true;
    this.owner.beforeSend(this.request, this);
    const { raw: res, headers } = this;
    const status = this.statusCode;
    const head = this.request.method === 'HEAD';
    if (payload === undefined) {
      if (status >= 200 && status !== 204 && status !== 304 && !head) headers['content-length'] = '0';
      res.writeHead(status, headers);
      res.end();
      return;
    }
    if (status < 200 || status === 204) {
      delete headers['content-type'];
      delete headers['content-length'];
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const length = headers['content-length'];
    if (!length || (!head && Number(length) !== Buffer.byteLength(payload))) headers['content-length'] = `${Buffer.byteLength(payload)}`;
    res.writeHead(status, headers);
    res.end(payload);
  }

  /** A streamed body: headers go out with its first chunk; a failure before that is answered as an error. */
  private stream(body: StreamBody): void {
    this.sent = true;
    this.owner.beforeSend(this.request, this);
    const res = this.raw;
    res.statusCode = this.statusCode;
    for (const key in this.headers) res.setHeader(key, this.headers[key]);
    let open = true;
    finished(body, { readable: true, writable: false }, (err) => {
      open = false;
      if (!err) return;
      if (res.headersSent || this.request.raw.destroyed) {
        this.owner.warn({ err, method: this.request.method, url: this.request.url }, 'response stream failed');
        res.destroy();
        return;
      }
      // Nothing of the failed answer goes out: its headers described a body that never came.
      body.unpipe(res);
      for (const key of res.getHeaderNames()) res.removeHeader(key);
      this.headers = {};
      this.sent = false;
      this.owner.fail(err, this.request, this);
    });
    finished(res, () => {
      if (open) body.destroy?.();
    });
    body.pipe(res);
  }
}
