/**
 * The `type/subtype` part of a Content-Type value (RFC 9110 §8.3.1), checked the way the homeserver
 * has always checked it: a request body whose Content-Type does not parse is refused before any
 * handler runs, and a text reply with a JSON media type gets `charset=utf-8`.
 */

const TYPE = /^[\w!#$%&'*+.^`|~-]+$/;
const SUBTYPE = /^[\w!#$%&'*+.^`|~-]+\s*$/;
const CHARSET_PARAM = /(?:^|;)\s*charset=/i;

export interface MediaType {
  /** `type/subtype`, lower-cased. */
  readonly essence: string;
  /** Whether the value carries a `charset` parameter. */
  readonly hasCharset: boolean;
}

/** Parses a Content-Type value; null when it is not `type/subtype[; params]`. */
export function parseMediaType(value: string): MediaType | null {
  const semi = value.indexOf(';');
  const head = (semi < 0 ? value : value.slice(0, semi)).toLowerCase();
  const slash = head.indexOf('/');
  if (slash < 0) return null;
  const type = head.slice(0, slash).trimStart();
  const subtype = head.slice(slash + 1).trimEnd();
  if (!TYPE.test(type) || !SUBTYPE.test(subtype)) return null;
  return { essence: `${type}/${subtype}`, hasCharset: semi >= 0 && CHARSET_PARAM.test(value.slice(semi)) };
}

const parsed = new Map<string, MediaType | null>();

/** parseMediaType, memoised (a server sees few distinct values); the memo is bounded. */
export function mediaTypeOf(value: string): MediaType | null {
  let media = parsed.get(value);
  if (media === undefined) {
    media = parseMediaType(value);
    if (parsed.size >= 256) parsed.clear();
    parsed.set(value, media);
  }
  return media;
}
