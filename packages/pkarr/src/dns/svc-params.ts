import { PkarrError } from '../errors.ts';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.ts';
import type { SvcParams } from './types.ts';
import type { DnsReader, DnsWriter } from './wire.ts';

export const SvcParamKey = {
  mandatory: 0,
  alpn: 1,
  noDefaultAlpn: 2,
  port: 3,
  ipv4hint: 4,
  ech: 5,
  ipv6hint: 6,
  /** Private-use key the Pubky testnet uses for a browser's plain HTTP port (2 bytes, big-endian). */
  pubkyHttpPort: 65280,
} as const;

const TYPED_KEYS = new Set([0, 1, 2, 3, 4, 6]);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8');

function bad(message: string): PkarrError {
  return new PkarrError('dns_bad_svc_params', message);
}

function checkU16(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffff)
    throw bad(`${what} must be an integer 0..65535, got ${String(v)}`);
  return v as number;
}

/** Serializes params as [key, value] pairs in ascending key order; refuses duplicates and bad values. */
export function svcParamsToWire(params: SvcParams | undefined): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  if (!params) return out;
  if (params.mandatory !== undefined) {
    const keys = params.mandatory.map((k) => checkU16(k, 'a mandatory key'));
    const sorted = [...keys].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) throw bad(`mandatory lists key ${sorted[i]} twice`);
    const v = new Uint8Array(sorted.length * 2);
    sorted.forEach((k, i) => {
      v[i * 2] = k >> 8;
      v[i * 2 + 1] = k & 0xff;
    });
    out.push([0, v]);
  }
  if (params.alpn !== undefined) {
    const parts: number[] = [];
    for (const id of params.alpn) {
      const b = textEncoder.encode(String(id));
      if (b.length > 255) throw bad(`an alpn id is at most 255 bytes, ${JSON.stringify(id)} is ${b.length}`);
      parts.push(b.length, ...b);
    }
    out.push([1, Uint8Array.from(parts)]);
  }
  if (params.noDefaultAlpn) out.push([2, new Uint8Array(0)]);
  if (params.port !== undefined) {
    const p = checkU16(params.port, 'port');
    out.push([3, Uint8Array.of(p >> 8, p & 0xff)]);
  }
  if (params.ipv4hint !== undefined) {
    const v = new Uint8Array(params.ipv4hint.length * 4);
    params.ipv4hint.forEach((a, i) => v.set(parseIPv4(a), i * 4));
    out.push([4, v]);
  }
  if (params.ipv6hint !== undefined) {
    const v = new Uint8Array(params.ipv6hint.length * 16);
    params.ipv6hint.forEach((a, i) => v.set(parseIPv6(a), i * 16));
    out.push([6, v]);
  }
  for (const p of params.other ?? []) {
    const key = checkU16(p.key, 'a SvcParam key');
    if (TYPED_KEYS.has(key)) throw bad(`SvcParam key ${key} has a typed field; do not put it in "other"`);
    if (!(p.value instanceof Uint8Array)) throw bad(`the value of SvcParam key ${key} must be a Uint8Array`);
    out.push([key, p.value]);
  }
  out.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < out.length; i++) if (out[i][0] === out[i - 1][0]) throw bad(`SvcParam key ${out[i][0]} appears twice`);
  for (const [key, value] of out) if (value.length > 0xffff) throw bad(`the value of SvcParam key ${key} is longer than 65535 bytes`);
  return out;
}

export function writeSvcParams(w: DnsWriter, params: SvcParams | undefined): void {
  for (const [key, value] of svcParamsToWire(params)) {
    w.u16(key);
    w.u16(value.length);
    w.bytes(value);
  }
}

/** Reads SvcParams up to `end`: keys strictly ascending (RFC 9460 §2.2), known keys well-formed. */
export function readSvcParams(r: DnsReader, end: number): SvcParams {
  const params: SvcParams = {};
  let previous = -1;
  while (r.pos < end) {
    if (r.pos + 4 > end) throw bad(`SvcParam header at offset ${r.pos} is cut off by the end of the record data`);
    const key = r.u16('SvcParamKey');
    const len = r.u16('SvcParam length');
    if (key <= previous) {
      throw bad(
        previous === key ? `SvcParam key ${key} appears twice` : `SvcParam keys must be in ascending order: ${key} after ${previous}`,
      );
    }
    previous = key;
    if (r.pos + len > end) throw bad(`the ${len}-byte value of SvcParam key ${key} at offset ${r.pos} overruns the record data`);
    const value = r.bytes(len, `SvcParam ${key}`);
    switch (key) {
      case 0: {
        if (len % 2 !== 0) throw bad(`mandatory must hold 2-byte keys, got ${len} bytes`);
        params.mandatory = [];
        for (let i = 0; i < len; i += 2) params.mandatory.push((value[i] << 8) | value[i + 1]);
        break;
      }
      case 1: {
        const ids: string[] = [];
        for (let i = 0; i < len; ) {
          const n = value[i];
          if (i + 1 + n > len) throw bad(`alpn protocol id at byte ${i} of its value overruns the value`);
          ids.push(textDecoder.decode(value.subarray(i + 1, i + 1 + n)));
          i += 1 + n;
        }
        params.alpn = ids;
        break;
      }
      case 2:
        if (len !== 0) throw bad(`no-default-alpn must have an empty value, got ${len} bytes`);
        params.noDefaultAlpn = true;
        break;
      case 3:
        if (len !== 2) throw bad(`port must be 2 bytes, got ${len}`);
        params.port = (value[0] << 8) | value[1];
        break;
      case 4:
        if (len % 4 !== 0) throw bad(`ipv4hint must be a multiple of 4 bytes, got ${len}`);
        params.ipv4hint = [];
        for (let i = 0; i < len; i += 4) params.ipv4hint.push(formatIPv4(value.subarray(i, i + 4)));
        break;
      case 6:
        if (len % 16 !== 0) throw bad(`ipv6hint must be a multiple of 16 bytes, got ${len}`);
        params.ipv6hint = [];
        for (let i = 0; i < len; i += 16) params.ipv6hint.push(formatIPv6(value.subarray(i, i + 16)));
        break;
      default:
        (params.other ??= []).push({ key, value });
    }
  }
  return params;
}

/** The raw value of any SvcParam key (typed ones re-serialized), or undefined. */
export function svcParamValue(params: SvcParams, key: number): Uint8Array | undefined {
  for (const [k, v] of svcParamsToWire(params)) if (k === key) return v;
  return undefined;
}

/** The Pubky testnet's HTTP port (key 65280, 2 bytes big-endian), or null when absent or malformed. */
export function pubkyHttpPort(params: SvcParams): number | null {
  const v = params.other?.find((p) => p.key === SvcParamKey.pubkyHttpPort)?.value;
  return v && v.length === 2 ? (v[0] << 8) | v[1] : null;
}
