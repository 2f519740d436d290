// Node-only helpers: key files on disk. Not part of the browser entry.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { Keypair } from './keys.ts';

/** Reads a secret key file: 64 hex characters (whitespace around ignored). */
export async function readSecretKeyFile(path: string): Promise<Keypair> {
  return Keypair.fromSecretKeyHex(await readFile(path, 'utf8'));
}

/** Writes the 64 lowercase hex characters of the seed, no newline, mode 0600. */
export async function writeSecretKeyFile(path: string, keypair: Keypair): Promise<void> {
  await writeFile(path, keypair.secretKeyHex(), { mode: 0o600 });
  await chmod(path, 0o600);
}
