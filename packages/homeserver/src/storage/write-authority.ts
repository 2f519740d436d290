import type { DeleteOptions, UserRecord, WriteOptions } from './types.ts';

/** The writer's record the request already holds (WriteOptions.authority), when it is `user`'s. */
export function writerOf(options: WriteOptions | DeleteOptions, user: string): UserRecord | undefined {
  const held = options.authority?.user;
  return held !== undefined && held.publicKey === user ? held : undefined;
}
