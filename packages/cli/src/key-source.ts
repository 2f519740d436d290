import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { createRecoveryFile, decryptRecoveryFile, type Keypair, PubkyError } from '@pubky-ts/common';
import { readSecretKeyFile } from '@pubky-ts/common/node';
import { CliError } from './cli-error.ts';

/** Options every command that signs something accepts. */
export const keyOptions = {
  key: { type: 'string' as const, short: 'k' },
  recovery: { type: 'string' as const, short: 'r' },
  passphrase: { type: 'string' as const },
};

export const keyUsage = `  -k, --key <file>          secret key file (64 hex characters)
  -r, --recovery <file>     recovery file (passphrase from --passphrase, $PUBKY_PASSPHRASE or a prompt)
      --passphrase <text>   passphrase of the recovery file`;

export async function passphrase(values: Record<string, unknown>, prompt: string): Promise<string> {
  if (typeof values.passphrase === 'string') return values.passphrase;
  if (process.env.PUBKY_PASSPHRASE !== undefined) return process.env.PUBKY_PASSPHRASE;
  if (!process.stdin.isTTY) {
    throw new CliError('a passphrase is needed: pass --passphrase or set PUBKY_PASSPHRASE');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(prompt);
  } finally {
    rl.close();
  }
}

/** The key pair named by --key or --recovery; a clear error when neither or both are given. */
export async function loadKeypair(values: Record<string, unknown>): Promise<Keypair> {
  const keyFile = values.key as string | undefined;
  const recoveryFile = values.recovery as string | undefined;
  if (keyFile && recoveryFile) throw new CliError('give either --key or --recovery, not both');
  try {
    if (keyFile) return await readSecretKeyFile(keyFile);
    if (recoveryFile) {
      const bytes = new Uint8Array(await readFile(recoveryFile));
      return await decryptRecoveryFile(bytes, await passphrase(values, 'Passphrase: '));
    }
  } catch (e) {
    if (e instanceof CliError) throw e; // already says what to do (a missing passphrase)
    if (e instanceof PubkyError) throw new CliError(`${keyFile ?? recoveryFile}: ${e.message}`);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${keyFile ?? recoveryFile}: no such file`);
    throw e;
  }
  throw new CliError('a key is needed: pass --key <secret key file> or --recovery <recovery file>');
}

export async function writeRecoveryFile(path: string, keypair: Keypair, values: Record<string, unknown>): Promise<void> {
  const bytes = await createRecoveryFile(keypair, await passphrase(values, 'New passphrase: '));
  await writeFile(path, bytes, { mode: 0o600 });
}
