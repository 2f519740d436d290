// One file from one homeserver to another, streamed (never whole in memory) and checked: the bytes
// read must hash to what the source's ETag promised. What the target stored is checked by the
// migration's full comparison of both trees afterwards (one listing + HEAD pass instead of a HEAD
// per write).
import { base64Encode, createBlake3 } from '@pubky-ts/common';
import { ClientError } from '../errors.ts';
import type { SessionStorage } from '../storage.ts';
import { statFile, type TreeFile } from '../tree.ts';

export interface CopyOptions {
  signal?: AbortSignal;
  /** Called with each chunk's size as it passes. */
  onBytes?: (n: number) => void;
  /** Attempts when the source file changes while it is read (default 3). */
  attempts?: number;
}

/**
 * A pass-through stream that hashes and counts what flows through it. `result()` is only meaningful
 * once the stream has been read to its end (the PUT that consumed it succeeded).
 */
function hashingStream(
  source: ReadableStream<Uint8Array>,
  onBytes?: (n: number) => void,
): { stream: ReadableStream<Uint8Array>; result: () => { hash: string; size: number } } {
  const hasherReady = createBlake3();
  let size = 0;
  let hash: string | null = null;
  const stream = source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        (await hasherReady).update(chunk);
        size += chunk.length;
        onBytes?.(chunk.length);
        controller.enqueue(chunk);
      },
      async flush() {
        hash = base64Encode((await hasherReady).digest());
      },
    }),
  );
  return {
    stream,
    result: () => {
      if (hash === null) throw new ClientError('invalid_response', 'the upload finished before the source stream ended');
      return { hash, size };
    },
  };
}

/**
 * Copies `file` (as the source's tree listed it) from `from` to `to`. When the source's content changed
 * since it was listed, the newest content is copied instead. Returns the file as it was copied.
 */
export async function copyFile(from: SessionStorage, to: SessionStorage, file: TreeFile, options: CopyOptions = {}): Promise<TreeFile> {
  let expected: TreeFile = file;
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const body = await from.getStream(expected.path, { signal: options.signal });
    const { stream, result } = hashingStream(body, options.onBytes);
    await to.put(expected.path, stream, { signal: options.signal, ...(expected.contentType ? { contentType: expected.contentType } : {}) });
    const read = result();
    if (read.hash !== expected.hash || read.size !== expected.size) {
      // Changed at the source while we read it, or the source serves bytes its ETag does not describe.
      const now = await statFile(from, expected.path, options.signal);
      if (now === null) {
        await to.delete(expected.path, { signal: options.signal }).catch(() => {});
        throw new ClientError('not_found', `${expected.path} was deleted on the source homeserver while it was copied`);
      }
      if (now.hash === expected.hash || attempt >= attempts) {
        throw new ClientError(
          'integrity_error',
          `the source homeserver served ${expected.path} with BLAKE3 ${read.hash} (${read.size} bytes), but its ETag says ${now.hash} (${now.size} bytes); the copy is not trusted`,
        );
      }
      expected = now;
      continue;
    }
    return expected;
  }
}
