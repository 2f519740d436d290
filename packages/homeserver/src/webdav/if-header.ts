import { httpError, type HttpError } from '../http/errors.ts';

/**
 * The WebDAV `If` header (RFC 4918 §10.4): lists of conditions, each a state token `<…>` or an
 * entity tag `[…]`, possibly negated with `Not`, optionally tagged with the resource they apply to.
 * The header holds when any list holds; a list holds when all its conditions do. Every state token
 * in it counts as submitted (§10.4.1), whatever the lists evaluate to.
 */
export interface IfCondition {
  not: boolean;
  token?: string;
  etag?: string;
}

export interface IfList {
  /** The tagged resource (a URL or absolute path), or null for the request's own. */
  resource: string | null;
  conditions: IfCondition[];
}

const bad = (why: string): HttpError => httpError('DAV_INVALID_IF', why);

export function parseIfHeader(header: string): IfList[] {
  if (header.length > 8192) throw bad('too long');
  const lists: IfList[] = [];
  let i = 0;
  let tag: string | null = null;
  const skip = () => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const until = (end: string): string => {
    const j = header.indexOf(end, i + 1);
    if (j < 0) throw bad(`unterminated ${header[i]}`);
    const s = header.slice(i + 1, j);
    i = j + 1;
    return s;
  };
  skip();
  while (i < header.length) {
    if (header[i] === '<') {
      tag = until('>');
    } else if (header[i] === '(') {
      i++;
      const conditions: IfCondition[] = [];
      for (;;) {
        skip();
        if (header[i] === ')') {
          i++;
          break;
        }
        let not = false;
        if (/^not\b/i.test(header.slice(i, i + 4))) {
          not = true;
          i += 3;
          skip();
        }
        if (header[i] === '<') conditions.push({ not, token: until('>') });
        else if (header[i] === '[') conditions.push({ not, etag: until(']') });
        else throw bad(`unexpected ${JSON.stringify(header[i] ?? 'end')} at ${i}`);
      }
      if (conditions.length === 0) throw bad('an empty list');
      lists.push({ resource: tag, conditions });
    } else {
      throw bad(`unexpected ${JSON.stringify(header[i])} at ${i}`);
    }
    skip();
  }
  if (lists.length === 0) throw bad('no condition list');
  return lists;
}

export function submittedTokens(lists: IfList[]): Set<string> {
  const out = new Set<string>();
  for (const l of lists) for (const c of l.conditions) if (c.token !== undefined) out.add(c.token);
  return out;
}
