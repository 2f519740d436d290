// Range reads (RFC 9110 §14): which bytes to ask for, and what a 206 (or a 200 from a server that
// ignores ranges) says about the bytes that came back.
import { ClientError } from './errors.ts';

/** Bytes `start`..`end` (inclusive; `end` absent = to the end of the file), or the last `suffix` bytes. */
export type ByteRangeRequest = { start: number; end?: number } | { suffix: number };

/** A part of a file. */
export interface RangeRead {
  bytes: Uint8Array;
  /** First and last byte of `bytes` in the file (inclusive); `end` is `start - 1` when empty. */
  start: number;
  end: number;
  /** The whole file's size. */
  size: number;
  /** The version the bytes belong to (null in browsers talking to another origin). */
  etag: string | null;
  /**
   * False when the server sent the whole file instead: it ignores ranges, or `ifRange` named a
   * version that is no longer current (then `bytes` is the whole new file).
   */
  partial: boolean;
}

const isIndex = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The `Range` header value for `range`; throws invalid_argument for impossible ranges. */
export function rangeHeader(range: ByteRangeRequest): string {
  if ('suffix' in range) {
    if (!isIndex(range.suffix) || range.suffix === 0)
      throw new ClientError('invalid_argument', 'suffix is a positive integer number of bytes');
    return `bytes=-${range.suffix}`;
  }
  if (!isIndex(range.start)) throw new ClientError('invalid_argument', 'start is a non-negative integer byte offset');
  if (range.end === undefined) return `bytes=${range.start}-`;
  if (!isIndex(range.end) || range.end < range.start)
    throw new ClientError('invalid_argument', 'end is an integer byte offset, at least start');
  return `bytes=${range.start}-${range.end}`;
}

const CONTENT_RANGE = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/;

/** Reads a 206 or 200 answer to a range request into a RangeRead. */
export async function readRange(res: Response, range: ByteRangeRequest, conditional: boolean): Promise<RangeRead> {
  const etag = res.headers.get('etag');
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status === 206) {
    const m = CONTENT_RANGE.exec(res.headers.get('content-range') ?? '');
    const [start, end, size] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
    if (!m || end < start || end >= size || body.length !== end - start + 1) {
      throw new ClientError('invalid_response', `a 206 answer without a Content-Range that matches its ${body.length} bytes`);
    }
    return { bytes: body, start, end, size, etag, partial: true };
  }
  // The whole file: cut it here unless If-Range said "the whole file if it changed".
  const size = body.length;
  if (conditional) return { bytes: body, start: 0, end: size - 1, size, etag, partial: false };
  const start = 'suffix' in range ? Math.max(0, size - range.suffix) : range.start;
  const end = 'suffix' in range || range.end === undefined ? size - 1 : Math.min(range.end, size - 1);
  if (start >= size) throw new ClientError('invalid_argument', `the range starts at ${start}, past the end of a file of ${size} bytes`);
  return { bytes: body.subarray(start, end + 1), start, end, size, etag, partial: false };
}
