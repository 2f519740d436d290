/** Low-level URL pieces shared by the routes: raw path/query splitting, percent-decoding, query parsing. */
import { HOMESERVER_ERRORS } from '../errors/catalogue.ts';
import { HttpError } from '../errors/http-error.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Percent-decodes like Rust's `percent_decode` (a `%` not followed by two hex digits stays literal),
 * then requires valid UTF-8. `plusAsSpace` gives form-urlencoding. Returns null for invalid UTF-8.
 * Characters above U+007F in the input are taken as the raw bytes Node's parser delivered (latin1).
 */
export function percentDecode(s: string, plusAsSpace = false): string | null {
  let simple = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 || c > 127 || (plusAsSpace && c === 43)) {
      simple = false;
      break;
    }
  }
  if (simple) return s;
  const bytes = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        bytes[n++] = (h << 4) | l;
        i += 2;
        continue;
      }
    }
    if (plusAsSpace && c === 43) bytes[n++] = 32;
    else if (c > 255) return null;
    else bytes[n++] = c;
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    return null;
  }
}

/** Splits `request.url` (origin-form, or absolute-form from a proxy) into raw path and raw query. */
export function splitUrl(url: string): { path: string; query: string } {
  let u = url;
  if (!u.startsWith('/')) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(u);
    u = m ? u.slice(m[0].length) || '/' : `/${u}`;
  }
  const hash = u.indexOf('#');
  if (hash >= 0) u = u.slice(0, hash);
  const q = u.indexOf('?');
  return q < 0 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q + 1) };
}

/** One query pair; `value` is null for a key-only pair (`?reverse`). Both percent-decoded. */
export interface QueryPair {
  key: string;
  value: string | null;
}

/** A query string that does not decode: answered 400 `INVALID_QUERY`. */
export class QueryError extends HttpError {
  constructor(reason: string) {
    super('INVALID_QUERY', HOMESERVER_ERRORS.INVALID_QUERY.message(reason));
    this.name = 'QueryError';
  }
}

/** Form-urlencoded query parsing, keeping order and repeats. Invalid UTF-8 → QueryError (an HttpError). */
export function parseQuery(query: string): QueryPair[] {
  const out: QueryPair[] = [];
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = percentDecode(eq < 0 ? part : part.slice(0, eq), true);
    const value = eq < 0 ? null : percentDecode(part.slice(eq + 1), true);
    if (key === null || (eq >= 0 && value === null)) throw new QueryError('query is not valid UTF-8');
    out.push({ key, value });
  }
  return out;
}

/** The first value of `key` ('' for a key-only pair), or undefined. */
export function queryGet(pairs: readonly QueryPair[], key: string): string | undefined {
  for (const p of pairs) if (p.key === key) return p.value ?? '';
  return undefined;
}

export function queryAll(pairs: readonly QueryPair[], key: string): string[] {
  const out: string[] = [];
  for (const p of pairs) if (p.key === key) out.push(p.value ?? '');
  return out;
}
