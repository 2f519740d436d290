import type { IncomingHttpHeaders } from 'node:http';
import type { WriteCondition } from '../storage/write-condition.ts';
import { httpError } from './errors.ts';

/**
 * `If-Match` / `If-None-Match` on a write (PUT, DELETE; RFC 9110 §13.1.1-2), read into the store's
 * WriteCondition. Each header carries `*` or ONE strong entity tag. What this server cannot honour
 * exactly is refused with 400 rather than ignored (a client must never believe a write was
 * conditional when it was not): entity-tag lists (a header sent twice arrives as one), weak tags
 * (never equal under the strong comparison writes need), and anything that is not an entity tag.
 * An empty condition means "unconditional".
 */
const STRONG_TAG = /^"[\x21\x23-\x7e\x80-\xff]*"$/;

function parseOne(name: 'if-match' | 'if-none-match', raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const value = (Array.isArray(raw) ? raw.join(', ') : raw).trim();
  if (value === '*' || STRONG_TAG.test(value)) return value;
  const why = value.startsWith('W/')
    ? 'weak entity tags never match for a write; send the strong ETag the server returned'
    : value.includes(',')
      ? 'entity-tag lists are not supported on writes; send one ETag or *'
      : 'expected * or one quoted ETag, e.g. "abc…="';
  throw httpError('INVALID_PRECONDITION', name, why);
}

export function writeCondition(headers: IncomingHttpHeaders): WriteCondition {
  const ifMatch = parseOne('if-match', headers['if-match']);
  const ifNoneMatch = parseOne('if-none-match', headers['if-none-match']);
  return ifMatch === undefined && ifNoneMatch === undefined ? NONE : { ifMatch, ifNoneMatch };
}

const NONE: WriteCondition = Object.freeze({});
