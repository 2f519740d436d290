import { PubkyHttpError } from '@pubky-ts/client';
import type { PublicKey } from '@pubky-ts/common';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, loadKeypair } from '../key-source.ts';
import { clientOptions, clientUsage, defaultUser, exitCodesUsage, forgetSession, loadSession, openClient } from '../session-file.ts';

export const logout: Command = {
  name: 'logout',
  usage: `pubky logout [--user <key> | --key <file>] [--forget-only]

Signs the saved session out on its homeserver (DELETE /session) and removes it from the session
file. Whose: --user, the key of --key/--recovery, or the only saved session. A session the
homeserver already ended is just forgotten.

      --user <key>          whose session
  -k, --key <file>          or: the user of this secret key file
  -r, --recovery <file>     or: the user of this recovery file
      --forget-only         remove it from the file without telling the homeserver
${clientUsage}

${exitCodesUsage}`,
  options: { ...keyOptions, user: { type: 'string' }, 'forget-only': { type: 'boolean' }, ...clientOptions },
  async run(values) {
    let user: PublicKey;
    if (values.key !== undefined || values.recovery !== undefined) {
      if (values.user !== undefined) throw new CliError('give either --user or a key, not both');
      user = (await loadKeypair(values)).publicKey;
    } else {
      user = await defaultUser(values);
    }
    const ctx = await openClient(values);
    try {
      if (!values['forget-only']) {
        try {
          const session = await loadSession(ctx, user);
          await session.signout();
          console.log(`signed out ${user.z32}`);
        } catch (e) {
          const ended = e instanceof CliError && /has ended/.test(e.message);
          const gone = e instanceof PubkyHttpError && (e.status === 401 || e.status === 404);
          if (!ended && !gone) throw e;
          console.log(`the session of ${user.z32} had already ended`);
        }
      }
      if (await forgetSession(ctx.sessionFile, user)) console.error(`removed from ${ctx.sessionFile}`);
      else if (values['forget-only']) throw new CliError(`no saved session for ${user.z32} in ${ctx.sessionFile}`, 1, 'no_session');
    } finally {
      await ctx.close();
    }
  },
};
