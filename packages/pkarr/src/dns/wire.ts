import { PkarrError } from '../errors.ts';

const MAX_NAME_WIRE_LENGTH = 255;
const MAX_LABEL_LENGTH = 63;
const HEADER_LENGTH = 12;
// Pointers must point strictly backwards, and every loop adds a label, so the name length limit
// already ends any cycle; this bound only makes the worst case cheap.
const MAX_POINTER_HOPS = 128;

const labelEncoder = new TextEncoder();
const labelDecoder = new TextDecoder('utf-8'); // lenient: names are shown, the raw bytes stay signed

function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** Bounds-checked big-endian reads over a DNS message; every overrun is a `dns_truncated`. */
export class DnsReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  need(n: number, what: string, end = this.buf.length): void {
    if (this.pos + n > end) {
      throw new PkarrError(
        'dns_truncated',
        `DNS packet truncated: ${what} at offset ${this.pos} needs ${n} byte(s), ${Math.max(0, end - this.pos)} left`,
      );
    }
  }

  u8(what: string, end?: number): number {
    this.need(1, what, end);
    return this.buf[this.pos++];
  }

  u16(what: string, end?: number): number {
    this.need(2, what, end);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(what: string, end?: number): number {
    this.need(4, what, end);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  bytes(n: number, what: string, end?: number): Uint8Array {
    this.need(n, what, end);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * Reads a domain name at the current position, following compression pointers anywhere earlier
   * in the message. In-place bytes must end before `end` (the end of the enclosing rdata).
   * Returns the dotted name without trailing dot; the root is `.`.
   */
  name(what: string, end = this.buf.length): string {
    const buf = this.buf;
    const start = this.pos;
    const labels: string[] = [];
    let pos = start;
    let limit = end;
    let resume = -1;
    let wireLength = 1;
    let hops = 0;
    for (;;) {
      if (pos >= limit) {
        throw new PkarrError('dns_truncated', `DNS packet truncated: ${what} starting at offset ${start} has no end`);
      }
      const len = buf[pos];
      if (len === 0) {
        pos += 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 2 > limit) {
          throw new PkarrError('dns_truncated', `DNS packet truncated: compression pointer of ${what} at offset ${pos}`);
        }
        const target = ((len & 0x3f) << 8) | buf[pos + 1];
        if (target >= pos) {
          throw new PkarrError(
            'dns_bad_pointer',
            `compression pointer of ${what} at offset ${pos} points forward (to ${target}); pointers must point to earlier bytes`,
          );
        }
        if (target < HEADER_LENGTH) {
          throw new PkarrError('dns_bad_pointer', `compression pointer of ${what} at offset ${pos} points into the header (to ${target})`);
        }
        if (++hops > MAX_POINTER_HOPS) {
          throw new PkarrError('dns_bad_pointer', `${what} at offset ${start} follows more than ${MAX_POINTER_HOPS} compression pointers`);
        }
        if (resume < 0) resume = pos + 2;
        pos = target;
        limit = buf.length;
        continue;
      }
      if (len > MAX_LABEL_LENGTH) {
        throw new PkarrError(
          'dns_label_too_long',
          `${what}: label length byte ${hex(len)} at offset ${pos} exceeds ${MAX_LABEL_LENGTH} (the 0x40 and 0x80 label types are reserved)`,
        );
      }
      if (pos + 1 + len > limit) {
        throw new PkarrError('dns_truncated', `DNS packet truncated: a ${len}-byte label of ${what} at offset ${pos}`);
      }
      wireLength += 1 + len;
      if (wireLength > MAX_NAME_WIRE_LENGTH) {
        throw new PkarrError('dns_name_too_long', `${what} starting at offset ${start} is longer than ${MAX_NAME_WIRE_LENGTH} bytes`);
      }
      labels.push(labelDecoder.decode(buf.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    this.pos = resume >= 0 ? resume : pos;
    return labels.length === 0 ? '.' : labels.join('.');
  }
}

/** Splits a dotted name into label bytes, checking the RFC 1035 limits. `''` and `.` are the root. */
export function nameToLabels(name: string): Uint8Array[] {
  if (typeof name !== 'string') throw new PkarrError('dns_invalid_record', 'a domain name must be a string');
  let s = name;
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '') return [];
  const labels: Uint8Array[] = [];
  let wireLength = 1;
  for (const text of s.split('.')) {
    if (text === '') throw new PkarrError('dns_empty_label', `${JSON.stringify(name)} has an empty label`);
    const bytes = labelEncoder.encode(text);
    if (bytes.length > MAX_LABEL_LENGTH) {
      throw new PkarrError(
        'dns_label_too_long',
        `label ${JSON.stringify(text.slice(0, 20))}… of ${JSON.stringify(name.slice(0, 80))} is ${bytes.length} bytes, at most ${MAX_LABEL_LENGTH} allowed`,
      );
    }
    wireLength += 1 + bytes.length;
    labels.push(bytes);
  }
  if (wireLength > MAX_NAME_WIRE_LENGTH) {
    throw new PkarrError(
      'dns_name_too_long',
      `${JSON.stringify(name.slice(0, 80))}… is ${wireLength} bytes on the wire, at most ${MAX_NAME_WIRE_LENGTH} allowed`,
    );
  }
  return labels;
}

/** A growable big-endian buffer with an RFC 1035 name-compression table. */
export class DnsWriter {
  private buf = new Uint8Array(512);
  len = 0;
  private readonly suffixes = new Map<string, number>();

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /**
   * Writes a name. With `compress`, a suffix already written is replaced by a pointer and new
   * suffixes are remembered (exact label bytes, like the reference encoder).
   */
  name(name: string, compress: boolean): void {
    const labels = nameToLabels(name);
    if (compress) {
      // length-prefixed latin1 labels: an unambiguous key for each suffix
      const keys = labels.map((l) => String.fromCharCode(l.length, ...l));
      for (let i = 0; i < labels.length; i++) {
        const key = keys.slice(i).join('');
        const at = this.suffixes.get(key);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
        if (this.len < 0x4000) this.suffixes.set(key, this.len);
        this.u8(labels[i].length);
        this.bytes(labels[i]);
      }
    } else {
      for (const l of labels) {
        this.u8(l.length);
        this.bytes(l);
      }
    }
    this.u8(0);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
