/**
 * Makes a record name absolute under `origin` (the z32 key), without trailing dot, as the
 * reference does (spec §2.4): `.`, `@`, `@.` and `''` are the apex; a name whose last label is
 * already the origin is kept; anything else gets `.<origin>` appended. A trailing `@` label also
 * stands for the origin (`foo.@` → `foo.<origin>`).
 */
export function normalizeName(origin: string, name: string): string {
  let s = name.endsWith('.') ? name.slice(0, -1) : name;
  const lastDot = s.lastIndexOf('.');
  const last = s.slice(lastDot + 1);
  if (last.toLowerCase() === origin.toLowerCase()) return s;
  if (last === '@' || last === '') {
    s = lastDot < 0 ? '' : s.slice(0, lastDot);
    return s === '' ? origin : `${s}.${origin}`;
  }
  return `${s}.${origin}`;
}

function lower(s: string): string {
  return s.toLowerCase();
}

/**
 * Whether a record owner `recordName` answers the query `query` (already normalized). A query
 * `*.foo.<origin>` matches exactly one label in place of the `*`. Comparison ignores ASCII case.
 */
export function nameMatches(recordName: string, query: string): boolean {
  const r = lower(recordName);
  const q = lower(query);
  if (q.startsWith('*.')) {
    const suffix = q.slice(1);
    if (!r.endsWith(suffix)) return false;
    const head = r.slice(0, r.length - suffix.length);
    return head.length > 0 && !head.includes('.');
  }
  return r === q;
}
