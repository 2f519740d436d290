import { PubkyHttpError } from '@pubky-ts/client';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { addressOf, clientOptions, clientUsage, exitCodesUsage, loadSession, openClient, parseTarget } from '../session-file.ts';

export const rm: Command = {
  name: 'rm',
  usage: `pubky rm <pubky://<user>/pub/… | /pub/…>

Deletes one file through the owner's saved session. A missing file fails (not_found, exit 1).

      --user <key>          whose tree a bare /pub/… path is in
${clientUsage}

${exitCodesUsage}`,
  options: { user: { type: 'string' }, ...clientOptions },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one address');
    const target = await parseTarget(positionals[0], values);
    if (target.isDirectory) throw new CliError(`${target.path} is a directory: rm deletes one file at a time`);
    const ctx = await openClient(values);
    try {
      const session = await loadSession(ctx, target.owner);
      try {
        await session.storage.delete(target.path);
      } catch (e) {
        if (e instanceof PubkyHttpError && e.code === 'not_found')
          throw new CliError(`${addressOf(target)}: no such file (not_found)`, 1, 'not_found');
        throw e;
      }
      console.log(`deleted ${addressOf(target)}`);
    } finally {
      await ctx.close();
    }
  },
};
