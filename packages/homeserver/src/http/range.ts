import type { IncomingHttpHeaders } from 'node:http';
import type { ByteRange, FileEntry } from '../storage/types.ts';
import { httpError } from './errors.ts';

/**
 * HTTP range requests (RFC 9110 §14) for file GETs, shared by the client API and WebDAV. One range
 * per request: a `bytes=` set of several ranges, another unit, or a header that does not parse is
 * ignored and the whole file is sent (§14.2 lets a server ignore Range; a multipart/byteranges body
 * is what no client of ours needs). An unsatisfiable range is a 416 whose Content-Range names the size (`bytes *` slash size).
 * `If-Range` (§13.1.5) with a strong ETag or the exact Last-Modified date keeps the range; any other
 * value means "send me the whole new file".
 */

/** One `bytes=` range spec as sent: `first-last`, `first-` or the suffix `-length`. */
export type RangeSpec = { first: number; last: number | null } | { suffix: number };

const SPEC = /^bytes[ \t]*=[ \t]*(\d{0,16})[ \t]*-[ \t]*(\d{0,16})[ \t]*$/i;

/** The single range of a `Range` header, or null when the header is to be ignored. */
export function parseRange(header: string | undefined): RangeSpec | null {
  if (header === undefined || header.length > 200) return null;
  const m = SPEC.exec(header);
  if (!m) return null;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '') return b === '' ? null : { suffix: Number(b) };
  const first = Number(a);
  const last = b === '' ? null : Number(b);
  if (last !== null && last < first) return null;
  return { first, last };
}

/** The bytes `spec` selects of a file of `size` bytes, or null when none (→ 416). */
export function resolveRange(spec: RangeSpec, size: number): ByteRange | null {
  if ('suffix' in spec) {
    if (spec.suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - spec.suffix), end: size - 1 };
  }
  if (spec.first >= size) return null;
  return { start: spec.first, end: spec.last === null ? size - 1 : Math.min(spec.last, size - 1) };
}

/** Whether `If-Range` (absent, or matching the current representation) lets the range apply. */
export function ifRangeHolds(value: string | undefined, entry: FileEntry): boolean {
  if (value === undefined) return true;
  const v = value.trim();
  if (v.startsWith('"')) return v === entry.etag;
  if (v.startsWith('W/')) return false;
  // A date validator matches only the exact Last-Modified second.
  const t = Date.parse(v);
  return !Number.isNaN(t) && Math.floor(t / 1000) === Math.floor(entry.modifiedAt / 1e6);
}

/**
 * What a file GET should send, decided from the entry the store is about to read (so ETag, size and
 * bytes come from one version): the range, null for the whole file, or a thrown 416.
 */
export function rangeSelector(headers: IncomingHttpHeaders): ((entry: FileEntry) => ByteRange | null) | undefined {
  const raw = headers.range;
  if (raw === undefined) return undefined;
  const spec = parseRange(raw);
  if (spec === null) return undefined;
  const ifRange = headers['if-range'] as string | undefined;
  return (entry) => {
    if (!ifRangeHolds(ifRange, entry)) return null;
    const range = resolveRange(spec, entry.contentLength);
    if (range === null) {
      throw httpError('RANGE_NOT_SATISFIABLE', entry.contentLength).withHeaders({ 'content-range': `bytes */${entry.contentLength}` });
    }
    return range;
  };
}

/**
 * Status and length headers of a file GET or HEAD that sends `range` (or the whole file when none).
 * `reply` is the HTTP core's reply (client API and WebDAV alike).
 */
export function setLengthHeaders<R extends { code(status: number): R; header(key: string, value: string | number): R }>(
  reply: R,
  entry: FileEntry,
  range: ByteRange | null | undefined,
): R {
  reply.header('accept-ranges', 'bytes');
  if (!range) return reply.header('content-length', entry.contentLength);
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${entry.contentLength}`)
    .header('content-length', range.end - range.start + 1);
}
