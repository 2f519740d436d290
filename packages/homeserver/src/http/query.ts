import { crockfordDecode, parseStrictStoragePath, PublicKey } from '@pubky-ts/common';
import { type HttpError, httpError } from './errors.ts';
import { parseQuery, queryGet, type QueryPair } from './url.ts';

/** Query parameters of listings and feeds (spec §2.4, §4.2, §4.3). */

/** The query's pairs; a query that does not decode throws QueryError (400 `INVALID_QUERY`). */
export function parseQueryOr400(rawQuery: string): QueryPair[] {
  return parseQuery(rawQuery);
}

/** `true|yes|1|""` → true, `false|no|0` → false (case-insensitive), else 400. Absent → false. */
export function strictBool(value: string | undefined): boolean {
  if (value === undefined) return false;
  switch (value.toLowerCase()) {
    case '':
    case 'true':
    case 'yes':
    case '1':
      return true;
    case 'false':
    case 'no':
    case '0':
      return false;
    default:
      throw httpError('INVALID_BOOLEAN');
  }
}

/** u16 limit; empty/unparsable → default 100; capped at 1000. */
export function lenientLimit(value: string | undefined): number {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return 100;
  const n = Number(value);
  if (n > 65535) return 100;
  return Math.min(n, 1000);
}

const invalidCursor = (): HttpError => httpError('INVALID_CURSOR');

/**
 * A listing cursor: optional `pubky://`, then `<z32>/<path>` with a canonical path. Only the path is
 * used (the key is not compared with the tenant, as in the reference). Empty → none.
 */
export function listCursor(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const v = value.startsWith('pubky://') ? value.slice('pubky://'.length) : value;
  if (v.length < 53 || v[52] !== '/') throw invalidCursor();
  try {
    PublicKey.parseZ32(v.slice(0, 52));
    return parseStrictStoragePath(v.slice(52)).path;
  } catch {
    throw invalidCursor();
  }
}

/** A parsed event cursor: a decimal id, or a legacy 13-char Crockford µs timestamp to resolve. */
export type EventCursor = { kind: 'id'; id: number } | { kind: 'timestamp'; micros: number };

export function parseEventCursor(value: string): EventCursor | null {
  if (/^\d{1,16}$/.test(value)) {
    const id = Number(value);
    return Number.isSafeInteger(id) ? { kind: 'id', id } : null;
  }
  if (value.length === 13 && /^[0-9A-Za-z]{13}$/.test(value)) {
    try {
      // 13 chars = 65 bits; the top char holds only the high bits of a 64-bit big-endian value.
      const bytes = crockfordDecode(`${value}`);
      let n = 0n;
      for (const b of bytes.subarray(0, 8)) n = (n << 8n) | BigInt(b);
      const micros = Number(n);
      return Number.isSafeInteger(micros) ? { kind: 'timestamp', micros } : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Query of GET /events/: cursor (default 0), limit, and the listing booleans (validated, ignored). */
export function feedQuery(pairs: QueryPair[]): { cursor: EventCursor; limit: number } {
  strictBool(queryGet(pairs, 'reverse'));
  strictBool(queryGet(pairs, 'shallow'));
  const raw = queryGet(pairs, 'cursor');
  let cursor: EventCursor = { kind: 'id', id: 0 };
  if (raw !== undefined && raw !== '') {
    const parsed = parseEventCursor(raw.startsWith('pubky://') ? raw.slice('pubky://'.length) : raw);
    if (!parsed) throw invalidCursor();
    cursor = parsed;
  }
  return { cursor, limit: lenientLimit(queryGet(pairs, 'limit')) };
}
