// An incremental parser for `text/event-stream` (WHATWG HTML §9.2.6), fed with chunks split anywhere:
// inside a UTF-8 sequence, between CR and LF, in the middle of a field name. Shared by the SDK and by
// a mirror homeserver, which both read a homeserver's `/events-stream`.
import { type PubkyError, commonError } from './errors.ts';

export interface SseMessage {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream so far (empty if none). */
  lastEventId: string;
  /** `retry:` in ms, when this message set one. */
  retry?: number;
}

export interface SseLimits {
  /** Longest line accepted (UTF-16 code units). Default 64 Ki. */
  maxLineLength?: number;
  /** Largest data buffer of one message. Default 1 Mi. */
  maxMessageLength?: number;
}

function tooLong(what: string, limit: number): PubkyError {
  return commonError('invalid_sse', `event stream ${what} exceeds ${limit} characters`);
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly maxLine: number;
  private readonly maxMessage: number;
  private buffer = '';
  private lastWasCR = false;
  private bomChecked = false;
  private eventType = '';
  private data = '';
  private hasData = false;
  private lastEventId = '';
  private retry: number | undefined;

  constructor(limits: SseLimits = {}) {
    this.maxLine = limits.maxLineLength ?? 64 * 1024;
    this.maxMessage = limits.maxMessageLength ?? 1024 * 1024;
  }

  /** Feeds bytes (or already decoded text); returns the messages completed by this chunk. */
  push(chunk: Uint8Array | string): SseMessage[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.feed(text);
  }

  /**
   * Signals the end of the stream. A message that was not terminated by a blank line is discarded,
   * as the standard says.
   */
  end(): SseMessage[] {
    const out = this.feed(this.decoder.decode());
    this.buffer = '';
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    return out;
  }

  private feed(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    if (text.length === 0) return out;
    let s = text;
    if (!this.bomChecked) {
      if (this.buffer.length === 0 && s.length > 0) {
        this.bomChecked = true;
        if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      }
    }
    let start = 0;
    if (this.lastWasCR && s.charCodeAt(0) === 10) start = 1;
    this.lastWasCR = false;
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer + s.slice(start, i);
      this.buffer = '';
      if (line.length > this.maxLine) throw tooLong('line', this.maxLine);
      this.line(line, out);
      if (c === 13) {
        if (i + 1 < s.length) {
          if (s.charCodeAt(i + 1) === 10) i++;
        } else {
          this.lastWasCR = true;
        }
      }
      start = i + 1;
    }
    if (start < s.length) {
      this.buffer += s.slice(start);
      if (this.buffer.length > this.maxLine) throw tooLong('line', this.maxLine);
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return; // comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        if (this.data.length + value.length + 1 > this.maxMessage) throw tooLong('message', this.maxMessage);
        this.data += `${value}\n`;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  private dispatch(out: SseMessage[]): void {
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    const msg: SseMessage = {
      event: this.eventType || 'message',
      data: this.data.slice(0, -1),
      lastEventId: this.lastEventId,
    };
    if (this.retry !== undefined) msg.retry = this.retry;
    out.push(msg);
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    this.retry = undefined;
  }
}

/** Parses a byte stream into SSE messages as they complete. */
export async function* parseSseStream(
  stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  limits?: SseLimits,
): AsyncGenerator<SseMessage, void, undefined> {
  const parser = new SseParser(limits);
  const iterable = toAsyncIterable(stream);
  for await (const chunk of iterable) {
    for (const msg of parser.push(chunk)) yield msg;
  }
  for (const msg of parser.end()) yield msg;
}

/** Node's and modern browsers' ReadableStreams are async iterable; older browsers need a reader. */
export function toAsyncIterable<T>(stream: AsyncIterable<T> | ReadableStream<T>): AsyncIterable<T> {
  if (Symbol.asyncIterator in stream) return stream as AsyncIterable<T>;
  const rs = stream as ReadableStream<T>;
  return {
    async *[Symbol.asyncIterator]() {
      const reader = rs.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        await reader.cancel().catch(() => {});
        reader.releaseLock();
      }
    },
  };
}
