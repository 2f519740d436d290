import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes, Keypair } from '@pubky-ts/common';
import { ConfigError } from './config.ts';

/**
 * Loads the homeserver key from `<dataDir>/secret` (64 lowercase hex characters, optional trailing
 * newline), creating the directory and a fresh key with mode 0600 when the file is missing.
 */
export function loadOrCreateSecretKey(dataDir: string): Keypair {
  const path = join(dataDir, 'secret');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`cannot read the homeserver key ${path}: ${(e as Error).message}`);
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const seed = randomBytes(32);
    try {
      // 'wx' fails if another process created the file in the meantime; then read theirs.
      writeFileSync(path, bytesToHex(seed), { mode: 0o600, flag: 'wx' });
      return Keypair.fromSecretKey(new Uint8Array(seed));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(`cannot create the homeserver key ${path}: ${(err as Error).message}`);
      }
      text = readFileSync(path, 'utf8');
    }
  }
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new ConfigError(`the homeserver key ${path} must hold 64 hex characters (a 32-byte Ed25519 secret key)`);
  }
  return Keypair.fromSecretKey(hexToBytes(hex.toLowerCase()));
}
