import { bodyOnce } from './rows.ts';
import type { ByteRange, FileContent, FileEntry, ReadOptions } from './types.ts';

/** The range `options` selects for `entry`, or undefined for the whole file (the selector may throw). */
export function pickRange(entry: FileEntry, options: ReadOptions | undefined): ByteRange | undefined {
  const range = options?.range?.(entry) ?? undefined;
  if (range === undefined) return undefined;
  if (
    !(
      Number.isSafeInteger(range.start) &&
      Number.isSafeInteger(range.end) &&
      range.start >= 0 &&
      range.start <= range.end &&
      range.end < entry.contentLength
    )
  ) {
    throw new RangeError(`range ${range.start}-${range.end} is outside a file of ${entry.contentLength} bytes`);
  }
  return range;
}

/** The content of a file held in memory, cut to `range` when one applies. */
export function inMemoryContent(entry: FileEntry, bytes: Uint8Array, range: ByteRange | undefined): FileContent {
  if (range === undefined) return { entry, body: bodyOnce(bytes), inline: bytes };
  const part = bytes.subarray(range.start, range.end + 1);
  return { entry, body: bodyOnce(part), inline: part, range };
}
