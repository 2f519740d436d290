import { access } from 'node:fs/promises';
import { Keypair } from '@pubky-ts/common';
import { writeSecretKeyFile } from '@pubky-ts/common/node';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { writeRecoveryFile } from '../key-source.ts';

async function refuseOverwrite(path: string, force: boolean): Promise<void> {
  if (force) return;
  try {
    await access(path);
  } catch {
    return;
  }
  throw new CliError(`${path} exists; pass --force to overwrite it`);
}

export const keygen: Command = {
  name: 'keygen',
  usage: `pubky keygen [--out <file>] [--recovery <file>] [--passphrase <text>] [--force]

Creates an Ed25519 key pair and prints its public key (z-base-32). Writes the secret key as
64 hex characters (mode 0600) with --out, and/or an encrypted recovery file with --recovery.

  -o, --out <file>          write the secret key file here
  -r, --recovery <file>     write a recovery file here (passphrase from --passphrase, $PUBKY_PASSPHRASE or a prompt)
      --passphrase <text>   passphrase for the recovery file
      --force               overwrite existing files`,
  options: {
    out: { type: 'string', short: 'o' },
    recovery: { type: 'string', short: 'r' },
    passphrase: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values) {
    const keypair = Keypair.random();
    const out = values.out as string | undefined;
    const recovery = values.recovery as string | undefined;
    if (out) {
      await refuseOverwrite(out, Boolean(values.force));
      await writeSecretKeyFile(out, keypair);
    }
    if (recovery) {
      await refuseOverwrite(recovery, Boolean(values.force));
      await writeRecoveryFile(recovery, keypair, values);
    }
    console.log(keypair.publicKey.z32);
    if (!out && !recovery) {
      console.error('note: no --out or --recovery given, so the secret key was not saved');
    }
  },
};
