import { EncryptedStorage, Keyring } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { listOption } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { addressOf, clientOptions, clientUsage, loadSession, openClient, parseTarget } from '../session-file.ts';

async function run(remove: boolean, values: Record<string, unknown>, positionals: string[]): Promise<void> {
  if (positionals.length !== 1) throw new CliError('give exactly one path (a file, or a directory ending in /)');
  const readers = listOption(values.with);
  if (readers.length === 0) throw new CliError('name the reader with --with <pubky> (repeatable)');
  const target = await parseTarget(positionals[0]!, values);
  const keypair = await loadKeypair(values);
  if (!keypair.publicKey.equals(target.owner))
    throw new CliError(`${addressOf(target)} is not in ${keypair.publicKey.z32}'s tree: only the owner shares`);
  const ctx = await openClient(values);
  try {
    const enc = new EncryptedStorage((await loadSession(ctx, target.owner)).storage, Keyring.fromKeypair(keypair));
    for (const reader of readers) {
      if (remove) await enc.unshare(target.path, reader);
      else await enc.share(target.path, reader);
      console.log(`${remove ? 'unshared' : 'shared'} ${addressOf(target)} ${remove ? 'from' : 'with'} ${reader}`);
    }
  } finally {
    await ctx.close();
  }
}

const usage = (name: string, verb: string) => `pubky ${name} <path> --with <pubky>… (--key <file> | --recovery <file>)

${verb}
The path is a file (its key only: the content is not re-encrypted or uploaded again) or a
directory ending in / (its key: files written there later open too). The reader reads it with
\`pubky get pubky://<you>/<path> --key <their key>\`. Shared files live under /pub/ (the reader must
be able to fetch the ciphertext); the envelope is /pub/pubky-ts.shares/<reader>/… in your tree.

      --with <pubky>        the reader, repeatable
${keyUsage}
${clientUsage}`;

export const share: Command = {
  name: 'share',
  usage: usage('share', 'Lets another pubky read an encrypted file or folder of yours, by public key alone.'),
  options: { with: { type: 'string', multiple: true }, user: { type: 'string' }, ...keyOptions, ...clientOptions },
  allowPositionals: true,
  run: (values, positionals) => run(false, values, positionals),
};

export const unshare: Command = {
  name: 'unshare',
  usage: usage(
    'unshare',
    "Removes a reader's share. It cannot take back what they already read or kept: a file key\nopens that file until you write it again; a folder key opens what was written with it.",
  ),
  options: { with: { type: 'string', multiple: true }, user: { type: 'string' }, ...keyOptions, ...clientOptions },
  allowPositionals: true,
  run: (values, positionals) => run(true, values, positionals),
};
