import { bytesToHex, hexToBytes, utf8Decode, utf8Encode } from '@pubky-ts/common';
import type { DnsRecord, SvcParams } from '@pubky-ts/pkarr';
import { CliError } from './cli-error.ts';

/**
 * A small zone-file dialect for PKARR records, one record per line:
 *
 *   <name> [<ttl>] <TYPE> <data…>        ; comments start with ';' or '#'
 *
 *   @            3600 A      127.0.0.1
 *   _pubky       3600 HTTPS  0 8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo
 *   @                 HTTPS  10 localhost key65280=6286
 *   _foo              TXT    "hello world" "second string"
 *
 * Names are relative to the key (`@` or `.` is the apex). SVCB/HTTPS params: port=, alpn=a,b,
 * ipv4hint=, ipv6hint=, no-default-alpn, mandatory=1,3, key<N>=<number 0-65535 as 2 bytes | 0x<hex>>.
 */
export const DEFAULT_TTL = 3600;
const TYPES = new Set(['A', 'AAAA', 'CNAME', 'NS', 'TXT', 'HTTPS', 'SVCB']);

function tokenize(line: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === ';' || c === '#') {
      break;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        s += line[i++];
      }
      if (i >= line.length) throw new CliError(`${where}: unterminated quoted string`);
      i++;
      out.push(`"${s}`); // marker: quoted
    } else {
      let s = '';
      while (i < line.length && !' \t'.includes(line[i])) s += line[i++];
      out.push(s);
    }
  }
  return out;
}

function parseParams(tokens: string[], where: string): SvcParams {
  const params: SvcParams = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    const key = (eq < 0 ? t : t.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? '' : t.slice(eq + 1);
    const list = () => value.split(',').filter(Boolean);
    switch (key) {
      case 'port': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${where}: port must be 0-65535`);
        params.port = n;
        break;
      }
      case 'alpn':
        params.alpn = list();
        break;
      case 'no-default-alpn':
        params.noDefaultAlpn = true;
        break;
      case 'ipv4hint':
        params.ipv4hint = list();
        break;
      case 'ipv6hint':
        params.ipv6hint = list();
        break;
      case 'mandatory':
        params.mandatory = list().map(Number);
        break;
      default: {
        const m = /^key(\d+)$/.exec(key);
        if (!m) throw new CliError(`${where}: unknown SvcParam ${JSON.stringify(key)}`);
        let bytes: Uint8Array;
        if (value.startsWith('0x')) bytes = hexToBytes(value.slice(2));
        else {
          const n = Number(value);
          if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${where}: ${key} takes a number 0-65535 or 0x<hex>`);
          bytes = Uint8Array.of(n >> 8, n & 0xff);
        }
        (params.other ??= []).push({ key: Number(m[1]), value: bytes });
      }
    }
  }
  return params;
}

export function parseZoneLine(line: string, where = 'record'): DnsRecord | null {
  const tokens = tokenize(line, where);
  if (tokens.length === 0) return null;
  const [name, ...rest] = tokens;
  let ttl = DEFAULT_TTL;
  if (rest.length > 0 && /^\d+$/.test(rest[0])) ttl = Number(rest.shift());
  if (ttl > 0xffffffff) throw new CliError(`${where}: TTL too large`);
  const type = (rest.shift() ?? '').toUpperCase();
  if (!TYPES.has(type)) {
    throw new CliError(`${where}: expected a record type (${[...TYPES].join(', ')}), got ${JSON.stringify(type)}`);
  }
  const need = (n: number) => {
    if (rest.length < n) throw new CliError(`${where}: ${type} needs ${n === 1 ? 'a value' : `${n} values`}`);
  };
  const plain = (t: string) => (t.startsWith('"') ? t.slice(1) : t);
  switch (type) {
    case 'A':
    case 'AAAA':
      need(1);
      return { name, ttl, type, address: plain(rest[0]) };
    case 'CNAME':
    case 'NS':
      need(1);
      return { name, ttl, type, target: plain(rest[0]) };
    case 'TXT':
      need(1);
      return { name, ttl, type: 'TXT', strings: rest.map((t) => utf8Encode(plain(t))) };
    default: {
      need(2);
      const priority = Number(rest[0]);
      if (!Number.isInteger(priority) || priority < 0 || priority > 65535) throw new CliError(`${where}: priority must be 0-65535`);
      return { name, ttl, type: type as 'HTTPS' | 'SVCB', priority, target: plain(rest[1]), params: parseParams(rest.slice(2), where) };
    }
  }
}

export function parseZone(text: string, source = 'zone'): DnsRecord[] {
  const out: DnsRecord[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const r = parseZoneLine(line, `${source}:${i + 1}`);
    if (r) out.push(r);
  });
  return out;
}

function formatParams(p: SvcParams): string {
  const parts: string[] = [];
  if (p.mandatory) parts.push(`mandatory=${p.mandatory.join(',')}`);
  if (p.alpn) parts.push(`alpn=${p.alpn.join(',')}`);
  if (p.noDefaultAlpn) parts.push('no-default-alpn');
  if (p.port !== undefined) parts.push(`port=${p.port}`);
  if (p.ipv4hint) parts.push(`ipv4hint=${p.ipv4hint.join(',')}`);
  if (p.ipv6hint) parts.push(`ipv6hint=${p.ipv6hint.join(',')}`);
  for (const o of p.other ?? []) {
    parts.push(o.value.length === 2 ? `key${o.key}=${(o.value[0] << 8) | o.value[1]}` : `key${o.key}=0x${bytesToHex(o.value)}`);
  }
  return parts.join(' ');
}

function quote(b: Uint8Array): string {
  let s: string;
  try {
    s = utf8Decode(b);
  } catch {
    return `0x${bytesToHex(b)}`;
  }
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One record as a `dig`-style line: `name. TTL IN TYPE data`. */
export function formatRecord(r: DnsRecord): string {
  const head = `${r.name}.\t${r.ttl}\tIN\t`;
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return `${head}${r.type}\t${r.address}`;
    case 'CNAME':
    case 'NS':
      return `${head}${r.type}\t${r.target}.`;
    case 'TXT':
      return `${head}TXT\t${r.strings.map(quote).join(' ')}`;
    case 'HTTPS':
    case 'SVCB':
      return `${head}${r.type}\t${r.priority} ${r.target === '.' ? '.' : `${r.target}.`} ${formatParams(r.params)}`.trimEnd();
    case 'UNKNOWN':
      return `${head}TYPE${r.typeCode}\t\\# ${r.rdata.length} ${bytesToHex(r.rdata)}`;
  }
}
