// Reading a response body with a ceiling, so a hostile or broken server cannot make the client buffer
// without bound (relay messages, `/info`, error bodies).
import { toAsyncIterable } from '@pubky-ts/common';

/** The body's bytes, or null when it exceeds `max` (the rest is not downloaded). */
export async function readBytesLimited(res: Response, max: number): Promise<Uint8Array | null> {
  const declared = Number(res.headers.get('content-length'));
  if (res.headers.has('content-length') && Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const it = toAsyncIterable(res.body)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const { done, value } = await it.next();
      if (done) break;
      total += value.length;
      if (total > max) return null;
      chunks.push(value);
    }
  } finally {
    await it.return?.();
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Up to `max` bytes of the body as text (lossy UTF-8), marking a cut with `…`. */
export async function readTextPrefix(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  let total = 0;
  const it = toAsyncIterable(res.body)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const { done, value } = await it.next();
      if (done) return text + decoder.decode();
      const room = max - total;
      if (value.length > room) return `${text}${decoder.decode(value.subarray(0, room))}…`;
      total += value.length;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await it.return?.();
  }
}

/** The body as UTF-8 text when it is at most `max` bytes; otherwise `onTooLarge()` is thrown. */
export async function readTextLimited(res: Response, max: number, onTooLarge: () => Error): Promise<string> {
  const bytes = await readBytesLimited(res, max);
  if (bytes === null) throw onTooLarge();
  return new TextDecoder().decode(bytes);
}
