// Parsing of path and query parameters: each failure is a precise 400 from the catalogue.
import { PublicKey } from '@pubky-ts/common';
import { parseTimestampId } from '@pubky-ts/client';
import { apiError } from '../errors.ts';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export function userKey(raw: string | undefined): string {
  const key = raw === undefined ? null : PublicKey.tryParse(raw);
  if (!key || key.z32 !== raw)
    throw apiError(
      'invalid_user_key',
      `${JSON.stringify(String(raw).slice(0, 60))} is not a z-base-32 public key (52 lowercase characters)`,
    );
  return key.z32;
}

export function postId(raw: string | undefined): string {
  if (raw === undefined || parseTimestampId(raw) === null)
    throw apiError('invalid_post_id', `${JSON.stringify(String(raw).slice(0, 40))} is not a post id (13 uppercase Crockford characters)`);
  return raw;
}

export function limit(q: URLSearchParams, max = MAX_LIMIT, fallback = DEFAULT_LIMIT): number {
  const raw = q.get('limit');
  if (raw === null) return fallback;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw apiError('invalid_limit', `limit must be an integer from 1 to ${max}, got ${JSON.stringify(raw.slice(0, 20))}`);
  return Number(raw);
}

/** Post-list cursors are `<created_at>.<seq>`. */
export function postCursor(q: URLSearchParams): string | null {
  const raw = q.get('cursor');
  if (raw === null) return null;
  if (!/^\d{1,16}\.\d{1,16}$/.test(raw))
    throw apiError(
      'invalid_cursor',
      `cursor ${JSON.stringify(raw.slice(0, 40))} is not a post cursor; pass back the "next" of the previous page`,
    );
  return raw;
}

/** User-list cursors are the last user key of the page. */
export function userCursor(q: URLSearchParams): string | null {
  const raw = q.get('cursor');
  if (raw === null) return null;
  if (!/^[a-z0-9]{52}$/.test(raw))
    throw apiError(
      'invalid_cursor',
      `cursor ${JSON.stringify(raw.slice(0, 60))} is not a user cursor; pass back the "next" of the previous page`,
    );
  return raw;
}

/** Search cursors: a row number (posts) or an offset into the ranking (users). */
export function offsetCursor(q: URLSearchParams): string | null {
  const raw = q.get('cursor');
  if (raw === null) return null;
  if (!/^\d{1,16}$/.test(raw))
    throw apiError(
      'invalid_cursor',
      `cursor ${JSON.stringify(raw.slice(0, 40))} is not a search cursor; pass back the "next" of the previous page`,
    );
  return raw;
}

/**
 * A search text as an FTS5 query: every word quoted (so no FTS syntax reaches the engine), all
 * words required, the last one also as a prefix (search as you type).
 */
export function searchQuery(q: URLSearchParams): string {
  const raw = q.get('q');
  if (raw === null || raw.length === 0 || raw.length > 200) throw apiError('invalid_query', 'q is required, 1 to 200 characters');
  const words = raw.match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) throw apiError('invalid_query', `q ${JSON.stringify(raw.slice(0, 40))} has no word to search for`);
  return words
    .slice(0, 16)
    .map((w, i, all) => `"${w}"${i === all.length - 1 ? '*' : ''}`)
    .join(' ');
}

export function since(q: URLSearchParams): number {
  const raw = q.get('since');
  if (raw === null) return 0;
  if (!/^\d{1,16}$/.test(raw))
    throw apiError('invalid_since', `since must be microseconds since the epoch, got ${JSON.stringify(raw.slice(0, 20))}`);
  return Number(raw);
}
