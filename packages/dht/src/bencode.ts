// A strict bencode codec for KRPC. The `bencode` npm decoder loops forever on a negative string
// length (`d1:a-3:e`) and rounds integers above 2^53 silently, so network input goes through this
// one: bounded depth, every length checked against the buffer, integers exact or refused.
import { DhtError } from './errors.ts';

export type BValue = Uint8Array | number | BValue[] | BDict;
/** Keys are the raw key bytes read as latin1 (one char per byte), so any key round-trips. */
export interface BDict {
  [key: string]: BValue;
}

const MAX_DEPTH = 32;
const D = 0x64; // d
const L = 0x6c; // l
const I = 0x69; // i
const E = 0x65; // e
const COLON = 0x3a;

function fail(message: string, pos: number): never {
  throw new DhtError('bencode_invalid', `${message} at byte ${pos}`);
}

/** Decodes exactly one bencoded value spanning all of `data`. */
export function bdecode(data: Uint8Array): BValue {
  if (data.length === 0) fail('empty input', 0);
  const state = { pos: 0 };
  const value = next(data, state, 0);
  if (state.pos !== data.length) fail(`${data.length - state.pos} trailing bytes after the value`, state.pos);
  return value;
}

function next(data: Uint8Array, s: { pos: number }, depth: number): BValue {
  if (s.pos >= data.length) fail('truncated input', s.pos);
  const c = data[s.pos];
  if (c === D) {
    if (depth >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`, s.pos);
    s.pos++;
    const dict: BDict = Object.create(null);
    for (;;) {
      if (s.pos >= data.length) fail('unterminated dictionary', s.pos);
      if (data[s.pos] === E) break;
      const keyPos = s.pos;
      const first = data[s.pos];
      if (first < 0x30 || first > 0x39) fail('dictionary key is not a byte string', keyPos);
      const key = latin1(readString(data, s));
      if (Object.prototype.hasOwnProperty.call(dict, key)) fail(`duplicate dictionary key "${printable(key)}"`, keyPos);
      dict[key] = next(data, s, depth + 1);
    }
    s.pos++;
    return dict;
  }
  if (c === L) {
    if (depth >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`, s.pos);
    s.pos++;
    const list: BValue[] = [];
    for (;;) {
      if (s.pos >= data.length) fail('unterminated list', s.pos);
      if (data[s.pos] === E) break;
      list.push(next(data, s, depth + 1));
    }
    s.pos++;
    return list;
  }
  if (c === I) return readInt(data, s);
  if (c >= 0x30 && c <= 0x39) return readString(data, s);
  return fail(`unexpected byte 0x${c.toString(16).padStart(2, '0')}`, s.pos);
}

function readInt(data: Uint8Array, s: { pos: number }): number {
  const start = s.pos;
  let p = s.pos + 1;
  let negative = false;
  if (data[p] === 0x2d) {
    negative = true;
    p++;
  }
  const digitsStart = p;
  let value = 0;
  while (p < data.length && data[p] >= 0x30 && data[p] <= 0x39) {
    value = value * 10 + (data[p] - 0x30);
    p++;
    // Checked inside the loop so a 10 000-digit integer stops early.
    if (p - digitsStart > 16) fail('integer beyond ±2^53', start);
  }
  if (p >= data.length) fail('unterminated integer', start);
  if (data[p] !== E) fail(`unexpected byte 0x${data[p].toString(16).padStart(2, '0')} in integer`, p);
  const digits = p - digitsStart;
  if (digits === 0) fail('integer without digits', start);
  if (digits > 1 && data[digitsStart] === 0x30) fail('integer with a leading zero', start);
  if (negative && value === 0) fail('negative zero', start);
  if (value > Number.MAX_SAFE_INTEGER) fail('integer beyond ±2^53', start);
  s.pos = p + 1;
  return negative ? -value : value;
}

function readString(data: Uint8Array, s: { pos: number }): Uint8Array {
  const start = s.pos;
  let p = s.pos;
  let len = 0;
  while (p < data.length && data[p] >= 0x30 && data[p] <= 0x39) {
    len = len * 10 + (data[p] - 0x30);
    p++;
    if (p - start > 10) fail('string length too long', start);
  }
  if (p >= data.length) fail('truncated string length', start);
  if (data[p] !== COLON) fail('string length not followed by ":"', p);
  if (p - start > 1 && data[start] === 0x30) fail('string length with a leading zero', start);
  const end = p + 1 + len;
  if (end > data.length) fail(`string of ${len} bytes runs past the end`, start);
  s.pos = end;
  return data.subarray(p + 1, end);
}

function latin1(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) out += String.fromCharCode(b[i]);
  return out;
}

function printable(key: string): string {
  return key.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
}

// ---------------------------------------------------------------------------------------------
// Encoding. Strings are UTF-8; byte strings are written as they are; dictionary keys are sorted
// by their raw bytes as bencode requires. `undefined` members are skipped.

export type BEncodable =
  | Uint8Array
  | string
  | number
  | BEncodable[]
  | { [key: string]: BEncodable | undefined };

const te = new TextEncoder();

export function bencode(value: BEncodable): Uint8Array {
  const parts: Uint8Array[] = [];
  enc(value, parts);
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function enc(v: BEncodable, parts: Uint8Array[]): void {
  if (v instanceof Uint8Array) {
    parts.push(te.encode(`${v.length}:`), v);
  } else if (typeof v === 'string') {
    const b = te.encode(v);
    parts.push(te.encode(`${b.length}:`), b);
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new DhtError('bencode_invalid', `cannot bencode ${v}: not a safe integer`);
    parts.push(te.encode(`i${v}e`));
  } else if (Array.isArray(v)) {
    parts.push(te.encode('l'));
    for (const x of v) enc(x, parts);
    parts.push(te.encode('e'));
  } else {
    parts.push(te.encode('d'));
    // Keys here are ASCII (KRPC names) or latin1 byte strings from bdecode: sort by code unit
    // equals sort by byte.
    const keys = Object.keys(v).sort();
    for (const k of keys) {
      const x = v[k];
      if (x === undefined) continue;
      const kb = Uint8Array.from(k, (ch) => ch.charCodeAt(0) & 0xff);
      parts.push(te.encode(`${kb.length}:`), kb);
      enc(x, parts);
    }
    parts.push(te.encode('e'));
  }
}
