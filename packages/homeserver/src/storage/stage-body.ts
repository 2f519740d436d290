import { createBlake3, type Blake3Hasher } from '@pubky-ts/common';
import { blake3Fast as blake3 } from './blake3-fast.ts';
import { detectContentType } from './content-type.ts';
import { storageErrors } from './errors.ts';
import { isWholeBody } from './whole-body.ts';

/** Where a body too large to keep inline is streamed (a temp file, or PostgreSQL chunks). */
export interface SpillWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Drops what was written. Never throws. */
  discard(): Promise<void>;
}

export interface StagedStream<W extends SpillWriter> {
  hash: Uint8Array;
  length: number;
  contentType: string;
  /** The whole body when it fit under the inline threshold. */
  inline: Buffer | null;
  /** Otherwise the writer holding it, complete but not yet committed: the caller finishes or discards it. */
  spilled: W | null;
}

export interface StageOptions<W extends SpillWriter> {
  threshold: number;
  /** Bytes the write may take; more is 507. */
  maxLength: number;
  /** Called once when `maxLength` is exceeded: a fresh, possibly larger, limit (usage read again). */
  widen?: (() => number) | null;
  signal?: AbortSignal;
  openSpill(): Promise<W>;
}

/**
 * Reads a PUT body once: sniffs its type from the first bytes, counts it against the quota while it
 * streams, keeps small bodies in memory (hashed in one shot: a streaming hasher costs more than the
 * whole write of a 1 KiB body) and streams larger ones, through a hasher, into a spill writer.
 * Shared by the SQLite and PostgreSQL file stores.
 */
export async function stageBody<W extends SpillWriter>(
  path: string,
  body: AsyncIterable<Uint8Array>,
  o: StageOptions<W>,
): Promise<StagedStream<W>> {
  const limit = new LengthLimit(o.maxLength, o.widen ?? null);
  let chunks: AsyncIterable<Uint8Array> | Uint8Array[] = body;
  if (isWholeBody(body)) {
    // One piece, ours to keep: no per-chunk awaits and no copy.
    const bytes = await body.whole();
    o.signal?.throwIfAborted();
    if (bytes.length <= o.threshold) {
      if (limit.exceededBy(bytes.length)) throw storageErrors.quotaExceeded();
      const inline = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const hash = blake3(inline);
      return {
        hash: hash instanceof Uint8Array ? hash : await hash,
        length: inline.length,
        contentType: detectContentType(path, inline),
        inline,
        spilled: null,
      };
    }
    chunks = [bytes];
  }
  let contentType: string | null = null;
  let length = 0;
  let buffered: Uint8Array[] = [];
  let hasher: Blake3Hasher | null = null;
  let spill: W | null = null;
  try {
    for await (const raw of chunks) {
      o.signal?.throwIfAborted();
      const chunk = raw instanceof Uint8Array ? raw : new Uint8Array(raw as ArrayBuffer);
      if (chunk.length === 0) continue;
      if (contentType === null) contentType = detectContentType(path, chunk);
      length += chunk.length;
      if (limit.exceededBy(length)) throw storageErrors.quotaExceeded();
      if (spill && hasher) {
        hasher.update(chunk);
        await spill.write(chunk);
      } else if (length <= o.threshold) {
        // Copy: callers (HTTP streams) may reuse their buffers.
        buffered.push(Uint8Array.prototype.slice.call(chunk));
      } else {
        hasher = await createBlake3();
        spill = await o.openSpill();
        for (const b of buffered) {
          hasher.update(b);
          await spill.write(b);
        }
        buffered = [];
        hasher.update(chunk);
        await spill.write(chunk);
      }
    }
    o.signal?.throwIfAborted();
  } catch (err) {
    await spill?.discard();
    throw err;
  }
  const type = contentType ?? detectContentType(path, new Uint8Array(0));
  if (spill && hasher) return { hash: hasher.digest(), length, contentType: type, inline: null, spilled: spill };
  const inline = Buffer.concat(buffered);
  return { hash: await blake3(inline), length, contentType: type, inline, spilled: null };
}

/**
 * The byte limit of one write: `max`, widened once by `widen` (the usage read again) when a body
 * exceeds it. A class, not a closure: this runs on every PUT, and a closure created per call costs
 * a `__name` call under tsx.
 */
class LengthLimit {
  constructor(
    private max: number,
    private widen: (() => number) | null,
  ) {}

  exceededBy(length: number): boolean {
    if (length > this.max && this.widen) {
      this.max = this.widen();
      this.widen = null;
    }
    return length > this.max;
  }
}
