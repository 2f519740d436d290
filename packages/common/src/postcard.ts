import { concatBytes, utf8Decode, utf8Encode } from './bytes.ts';
import { PubkyError, commonError } from './errors.ts';

/** The few postcard (Rust serde) encodings the wire formats use: LEB128 varints and strings. */
export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw commonError('invalid_varint', `cannot encode ${n} as a varint`);
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Uint8Array.from(out);
}

export function encodeString(s: string): Uint8Array {
  const b = utf8Encode(s);
  return concatBytes(encodeVarint(b.length), b);
}

/** A cursor over bytes being decoded; every read checks bounds and throws PubkyError. */
export class PostcardReader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }
  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw commonError('postcard_unexpected_end', 'Hit the end of buffer, expected more data');
    }
  }
  byte(): number {
    this.need(1);
    return this.bytes[this.offset++];
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      scale *= 128;
    }
    throw commonError('postcard_bad_varint', "Found a varint that didn't terminate. Is the usize too big for this platform?");
  }
  string(): string {
    const len = this.varint();
    const raw = this.take(len);
    try {
      return utf8Decode(raw);
    } catch {
      throw commonError('postcard_bad_utf8', "Found a string that wasn't valid UTF-8");
    }
  }
}
