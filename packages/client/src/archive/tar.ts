// A minimal POSIX ustar codec for account archives: regular files only, names under 100 bytes, no
// prefix field, no extensions. The writer produces what `tar tvf` lists; the reader accepts only
// that shape and checks every field (checksum, octal numbers, magic, padding, end marker), so
// hostile bytes end in an ArchiveError naming the offset, never in a crash or a hang.
import { ArchiveError } from './errors.ts';

export const BLOCK = 512;
/** The largest size an 11-digit octal field holds (8 GiB − 1). */
export const MAX_ENTRY_SIZE = 8 ** 11 - 1;
const NAME_LEN = 100;

const enc = new TextEncoder();

function putString(block: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = enc.encode(text);
  if (bytes.length > length)
    throw new ArchiveError('archive_invalid', `tar field text ${JSON.stringify(text)} is longer than ${length} bytes`);
  block.set(bytes, offset);
}

/** `digits` octal digits, then NUL (the field is digits + 1 bytes). */
function putOctal(block: Uint8Array, offset: number, digits: number, value: number): void {
  putString(block, offset, digits, value.toString(8).padStart(digits, '0'));
  block[offset + digits] = 0;
}

/** The 512-byte ustar header of a regular file. */
export function tarHeader(name: string, size: number, mtimeSeconds: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ENTRY_SIZE) {
    throw new ArchiveError('archive_too_large', `an archive entry holds at most ${MAX_ENTRY_SIZE} bytes, not ${size}`);
  }
  const block = new Uint8Array(BLOCK);
  if (enc.encode(name).length >= NAME_LEN) throw new ArchiveError('archive_invalid', `tar entry name ${name} is too long`);
  putString(block, 0, NAME_LEN, name);
  putOctal(block, 100, 7, 0o644); // mode
  putOctal(block, 108, 7, 0); // uid
  putOctal(block, 116, 7, 0); // gid
  putOctal(block, 124, 11, size);
  putOctal(block, 136, 11, Math.max(0, Math.min(MAX_ENTRY_SIZE, Math.floor(mtimeSeconds))));
  block[156] = 0x30; // typeflag '0': regular file
  putString(block, 257, 6, 'ustar\0');
  putString(block, 263, 2, '00');
  putString(block, 265, 32, 'pubky'); // uname
  putString(block, 297, 32, 'pubky'); // gname
  putOctal(block, 329, 7, 0); // devmajor
  putOctal(block, 337, 7, 0); // devminor
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  putOctal(block, 148, 6, sum);
  block[155] = 0x20;
  return block;
}

/** Zero bytes that pad an entry of `size` bytes to a whole block. */
export function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = new Uint8Array(2 * BLOCK);

// ---- reading ----

/** Pulls exact byte counts out of a stream of chunks, tracking the offset. */
export class ByteReader {
  offset = 0;
  private buffer: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (this.pos >= this.buffer.length) {
      if (this.ended) return false;
      const { done, value } = await this.source.next();
      if (done) {
        this.ended = true;
        return false;
      }
      if (!(value instanceof Uint8Array))
        throw new ArchiveError('archive_invalid', 'the archive source yielded something other than bytes');
      this.buffer = value;
      this.pos = 0;
    }
    return true;
  }

  /** Exactly `n` bytes; `what` names them in the truncation error. */
  async readExact(n: number, what: string): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) throw truncated(this.offset, what);
      const take = Math.min(n - got, this.buffer.length - this.pos);
      out.set(this.buffer.subarray(this.pos, this.pos + take), got);
      this.pos += take;
      got += take;
      this.offset += take;
    }
    return out;
  }

  /** `n` bytes as chunks (views into the source's chunks; consume each before asking for the next). */
  async *chunks(n: number, what: string): AsyncGenerator<Uint8Array, void, undefined> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw truncated(this.offset, what);
      const take = Math.min(left, this.buffer.length - this.pos);
      const chunk = this.buffer.subarray(this.pos, this.pos + take);
      this.pos += take;
      left -= take;
      this.offset += take;
      yield chunk;
    }
  }

  /** Reads to the end of the source: the offset of the first non-zero byte, or -1 when all are zero. */
  async firstNonZero(): Promise<number> {
    while (await this.fill()) {
      const chunk = this.buffer.subarray(this.pos);
      for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return this.offset + i;
      this.offset += chunk.length;
      this.pos = this.buffer.length;
    }
    return -1;
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  async close(): Promise<void> {
    await this.source.return?.();
  }
}

function truncated(offset: number, what: string): ArchiveError {
  return new ArchiveError('archive_truncated', `the archive is truncated: it ends at byte ${offset}, inside ${what}`);
}

function bad(offset: number, why: string): ArchiveError {
  return new ArchiveError('archive_invalid', `not a valid pubky archive: ${why} (tar header at byte ${offset})`);
}

function isZero(bytes: Uint8Array, from = 0, to = bytes.length): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * A numeric field: optional leading spaces, one or more octal digits, then only NULs and spaces.
 * `allowEmpty`: an all-NUL field reads as 0.
 */
function octal(block: Uint8Array, from: number, length: number, field: string, headerAt: number, allowEmpty = false): number {
  if (allowEmpty && isZero(block, from, from + length)) return 0;
  let i = from;
  const end = from + length;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  while (i < end && block[i] >= 0x30 && block[i] <= 0x37) {
    value = value * 8 + (block[i] - 0x30);
    digits++;
    i++;
  }
  if (digits === 0) throw bad(headerAt, `the ${field} field is not an octal number`);
  for (; i < end; i++) {
    if (block[i] !== 0 && block[i] !== 0x20) throw bad(headerAt, `the ${field} field is not an octal number`);
  }
  return value;
}

/** A NUL-terminated printable-ASCII field (all bytes after the terminator NUL). */
function text(block: Uint8Array, from: number, length: number, field: string, headerAt: number): string {
  let s = '';
  let i = from;
  const end = from + length;
  for (; i < end && block[i] !== 0; i++) {
    if (block[i] < 0x20 || block[i] > 0x7e) throw bad(headerAt, `the ${field} field holds a byte that is not printable ASCII`);
    s += String.fromCharCode(block[i]);
  }
  if (!isZero(block, i, end)) throw bad(headerAt, `the ${field} field has bytes after its end`);
  return s;
}

const MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]; // "ustar\0" "00"

export interface TarEntryHeader {
  name: string;
  size: number;
  /** Where the entry's header starts in the archive. */
  headerOffset: number;
  /** Where its bytes start. */
  dataOffset: number;
}

/** Parses and checks one 512-byte header; null for a zero block (end of archive). */
export function parseHeader(block: Uint8Array, headerAt: number): Omit<TarEntryHeader, 'dataOffset'> | null {
  if (block.length !== BLOCK) throw bad(headerAt, 'a header is 512 bytes');
  if (isZero(block)) return null;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  const stored = octal(block, 148, 8, 'checksum', headerAt);
  if (stored !== sum) throw bad(headerAt, `the header checksum is ${stored.toString(8)}, but the header sums to ${sum.toString(8)}`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (block[257 + i] !== MAGIC[i]) throw bad(headerAt, 'the header is not POSIX ustar (magic "ustar\\0" "00")');
  }
  const type = block[156];
  if (type !== 0x30 && type !== 0) throw bad(headerAt, `entry type ${JSON.stringify(String.fromCharCode(type))} is not a regular file`);
  const name = text(block, 0, NAME_LEN, 'name', headerAt);
  if (name === '') throw bad(headerAt, 'an entry has no name');
  octal(block, 100, 8, 'mode', headerAt);
  octal(block, 108, 8, 'uid', headerAt);
  octal(block, 116, 8, 'gid', headerAt);
  const size = octal(block, 124, 12, 'size', headerAt);
  octal(block, 136, 12, 'mtime', headerAt);
  if (!isZero(block, 157, 257)) throw bad(headerAt, 'a regular file has a link name');
  text(block, 265, 32, 'uname', headerAt);
  text(block, 297, 32, 'gname', headerAt);
  octal(block, 329, 8, 'devmajor', headerAt, true);
  octal(block, 337, 8, 'devminor', headerAt, true);
  if (!isZero(block, 345, BLOCK)) throw bad(headerAt, 'the name prefix and the rest of the header must be empty');
  if (size > MAX_ENTRY_SIZE) throw bad(headerAt, 'the size is out of range');
  return { name, size, headerOffset: headerAt };
}

/**
 * Reads entries one by one. After `next()` returns an entry, read its bytes with `data()` (or not:
 * the next `next()` skips what is left) before calling `next()` again.
 */
export class TarReader {
  private pending: { left: number; size: number; header: TarEntryHeader } | null = null;
  private finished = false;

  constructor(private readonly bytes: ByteReader) {}

  get offset(): number {
    return this.bytes.offset;
  }

  /** The next entry, or null at the end marker (after which only zero bytes may follow). */
  async next(): Promise<TarEntryHeader | null> {
    if (this.finished) return null;
    await this.finishPending();
    const at = this.bytes.offset;
    if (await this.bytes.atEnd()) throw truncated(at, 'the end-of-archive marker (the archive stops between entries)');
    const block = await this.bytes.readExact(BLOCK, 'a tar header');
    const header = parseHeader(block, at);
    if (header === null) {
      const second = await this.bytes.readExact(BLOCK, 'the end-of-archive marker');
      if (!isZero(second)) throw bad(at, 'a lone zero block inside the archive');
      // Record padding after the marker: zeros only.
      const extra = await this.bytes.firstNonZero();
      if (extra >= 0)
        throw new ArchiveError('archive_invalid', `not a valid pubky archive: bytes follow the end-of-archive marker (at byte ${extra})`);
      this.finished = true;
      return null;
    }
    const entry = { ...header, dataOffset: this.bytes.offset };
    this.pending = { left: header.size, size: header.size, header: entry };
    return entry;
  }

  /** The current entry's bytes as chunks (each valid until the next one is asked for). */
  async *data(): AsyncGenerator<Uint8Array, void, undefined> {
    const p = this.pending;
    if (!p) return;
    const what = `the bytes of ${p.header.name}`;
    while (p.left > 0) {
      const want = Math.min(p.left, 1 << 20);
      for await (const chunk of this.bytes.chunks(want, what)) {
        p.left -= chunk.length;
        yield chunk;
      }
    }
  }

  /** The current entry's bytes in one array (for small entries). */
  async readAll(): Promise<Uint8Array> {
    const p = this.pending;
    if (!p) return new Uint8Array(0);
    const out = await this.bytes.readExact(p.left, `the bytes of ${p.header.name}`);
    p.left = 0;
    return out;
  }

  private async finishPending(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    for await (const _ of this.data()) {
      // skipped
    }
    const pad = padding(p.size).length;
    if (pad > 0) {
      const at = this.bytes.offset;
      const zeros = await this.bytes.readExact(pad, `the padding after ${p.header.name}`);
      if (!isZero(zeros))
        throw new ArchiveError(
          'archive_invalid',
          `not a valid pubky archive: the padding after ${p.header.name} is not zero (at byte ${at})`,
        );
    }
    this.pending = null;
  }

  async close(): Promise<void> {
    await this.bytes.close();
  }
}
