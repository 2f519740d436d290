// What `pubky put --encrypt` and `pubky get` add for encrypted files (README, "Encryption"): the
// commands keep their plumbing; this file holds the encryption steps.
import {
  EncryptedStorage,
  isAgeFile,
  Keyring,
  decryptAge,
  shareKeysFor,
  type PublicStorage,
  type Session,
  type SessionStorage,
} from '@pubky-ts/client';
import type { Keypair, PublicKey } from '@pubky-ts/common';
import { listOption } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { loadKeypair } from '../key-source.ts';

/** The user's key when --key or --recovery was given, else null. */
export async function optionalKeypair(values: Record<string, unknown>): Promise<Keypair | null> {
  return values.key || values.recovery ? loadKeypair(values) : null;
}

/**
 * Encrypts and uploads: to the owner (their key, or the age CLI with `pubky key age --identity`,
 * opens it), to the directory's key when the user's key is given (apps granted the directory open
 * it), and to every --to pubky or age1… recipient.
 */
export async function putEncrypted(
  session: Session,
  path: string,
  body: AsyncIterable<Uint8Array>,
  values: Record<string, unknown>,
): Promise<void> {
  const keypair = await optionalKeypair(values);
  if (keypair && !keypair.publicKey.equals(session.publicKey))
    throw new CliError(`--key is ${keypair.publicKey.z32}, but the session writes ${session.publicKey.z32}'s tree`);
  const keyring = keypair ? Keyring.fromKeypair(keypair) : Keyring.fromScopeKeys(session.publicKey, []);
  await new EncryptedStorage(session.storage, keyring).putEncrypted(path, body, { to: listOption(values.to) });
}

/**
 * The file's plaintext when it is an age file and the key opens it; the bytes as they are when it
 * is not an age file. An age file without a key is refused with what to do (never ciphertext on a
 * terminal by surprise): `--raw` writes the ciphertext.
 */
export async function decryptIfEncrypted(
  stream: ReadableStream<Uint8Array>,
  storage: SessionStorage | PublicStorage,
  owner: PublicKey,
  path: string,
  values: Record<string, unknown>,
): Promise<ReadableStream<Uint8Array>> {
  const { prefix, rest } = await peek(stream, 22);
  if (values.raw || !isAgeFile(prefix)) return rest;
  const keypair = await optionalKeypair(values);
  if (!keypair) {
    await rest.cancel().catch(() => {});
    throw new CliError(`${path} is encrypted (an age file): pass --key or --recovery to decrypt it, or --raw for the ciphertext`);
  }
  const keyring = Keyring.fromKeypair(keypair);
  const keys = keyring.keysFor(owner, path);
  // Another user's file: the share envelopes they left for us, if any (`pubky share`).
  if (!owner.equals(keypair.publicKey)) {
    const shared = await shareKeysFor(storage, keyring, owner, path);
    return decryptAge(rest, {
      ...keys,
      fileKeys: [...(keys.fileKeys ?? []), ...(shared.fileKeys ?? [])],
      directoryKeys: [...(keys.directoryKeys ?? []), ...(shared.directoryKeys ?? [])],
    });
  }
  return decryptAge(rest, keys);
}

/** The first `n` bytes of a stream (fewer if it is shorter) and the whole stream again. */
async function peek(stream: ReadableStream<Uint8Array>, n: number): Promise<{ prefix: Uint8Array; rest: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let got = 0;
  let done = false;
  while (got < n) {
    const r = await reader.read();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    got += r.value.length;
  }
  const prefix = new Uint8Array(got);
  let off = 0;
  for (const h of head) {
    prefix.set(h, off);
    off += h.length;
  }
  const rest = new ReadableStream<Uint8Array>({
    start(c) {
      if (prefix.length > 0) c.enqueue(prefix);
      if (done) c.close();
    },
    async pull(c) {
      if (done) return;
      const r = await reader.read();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { prefix, rest };
}
