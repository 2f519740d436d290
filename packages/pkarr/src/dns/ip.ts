import { PkarrError } from '../errors.ts';

/** Parses a dotted-quad IPv4 address (no leading zeros, each part 0..255). */
export function parseIPv4(text: string): Uint8Array {
  const parts = typeof text === 'string' ? text.split('.') : [];
  if (parts.length !== 4) throw badAddress('IPv4', text);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) throw badAddress('IPv4', text);
    const n = Number(p);
    if (n > 255) throw badAddress('IPv4', text);
    out[i] = n;
  }
  return out;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Parses an IPv6 address in any RFC 4291 text form (`::` shorthand, embedded IPv4 tail). */
export function parseIPv6(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) throw badAddress('IPv6', text);
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    // an embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hexadecimal groups
    const v4 = parseIPv4OrNull(s.slice(lastColon + 1));
    if (!v4) throw badAddress('IPv6', text);
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const double = s.indexOf('::');
  if (double !== s.lastIndexOf('::')) throw badAddress('IPv6', text);
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (double >= 0) {
    const head = parseGroups(s.slice(0, double));
    const rest = parseGroups(s.slice(double + 2));
    if (!head || !rest) throw badAddress('IPv6', text);
    const missing = 8 - head.length - rest.length;
    if (missing < 1) throw badAddress('IPv6', text);
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    const all = parseGroups(s);
    if (!all) throw badAddress('IPv6', text);
    groups = all;
  }
  if (groups.length !== 8) throw badAddress('IPv6', text);
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i] >> 8;
    out[i * 2 + 1] = groups[i] & 0xff;
  }
  return out;
}

/** RFC 5952 canonical text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[i * 2] << 8) | b[i * 2 + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

function parseIPv4OrNull(text: string): Uint8Array | null {
  try {
    return parseIPv4(text);
  } catch {
    return null;
  }
}

function badAddress(kind: string, text: unknown): PkarrError {
  return new PkarrError('dns_invalid_record', `${JSON.stringify(String(text)).slice(0, 60)} is not a valid ${kind} address`);
}
