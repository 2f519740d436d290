import type { WholeBody } from './types.ts';

export function isWholeBody(body: AsyncIterable<Uint8Array>): body is WholeBody {
  return typeof (body as Partial<WholeBody>).whole === 'function';
}

/** A WholeBody over bytes already in memory (tests, admin writes). */
export function wholeBody(bytes: Uint8Array): WholeBody {
  return {
    whole: async () => bytes,
    async *[Symbol.asyncIterator]() {
      yield bytes;
    },
  };
}
