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
      if (Object.hasOwn(dict, key)) fail(`duplicate dictionary key "${printable(key)}"`, keyPos);
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

export type BEncodable = Uint8Array | string | number | BEncodable[] | { [key: string]: BEncodable | undefined };

const te = new TextEncoder();

/** A growable byte buffer; ASCII headers are written byte by byte (no TextEncoder per token). */
class Writer {
  buf = new Uint8Array(1024);
  len = 0;
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }
  ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

export function bencode(value: BEncodable): Uint8Array {
  const w = new Writer();
  enc(value, w);
  return w.buf.slice(0, w.len);
}

function enc(v: BEncodable, w: Writer): void {
  if (v instanceof Uint8Array) {
    w.ascii(`${v.length}:`);
    w.bytes(v);
  } else if (typeof v === 'string') {
    const b = te.encode(v);
    w.ascii(`${b.length}:`);
    w.bytes(b);
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new DhtError('bencode_invalid', `cannot bencode ${v}: not a safe integer`);
    w.ascii(`i${v}e`);
  } else if (Array.isArray(v)) {
    w.byte(L);
    for (const x of v) enc(x, w);
    w.byte(E);
  } else {
    w.byte(D);
    // Keys here are ASCII (KRPC names) or latin1 byte strings from bdecode: sorting by code unit
    // equals sorting by byte.
    const keys = Object.keys(v).sort();
    for (const k of keys) {
      const x = v[k];
      if (x === undefined) continue;
      w.ascii(`${k.length}:`);
      for (let i = 0; i < k.length; i++) w.byte(k.charCodeAt(i) & 0xff);
      enc(x, w);
    }
    w.byte(E);
  }
}
