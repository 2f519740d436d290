import type { Command } from '../args.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { clientOptions, clientUsage, exitCodesUsage, openClient, saveSession } from '../session-file.ts';

export const login: Command = {
  name: 'login',
  usage: `pubky login (--key <file> | --recovery <file>)

Finds the key's homeserver through its _pubky record, signs in there (POST /session with a signed
AuthToken, root capabilities), republishes the record when it is older than an hour, and saves the
session to the session file.

${keyUsage}
${clientUsage}

${exitCodesUsage}`,
  options: { ...keyOptions, ...clientOptions },
  async run(values) {
    const keypair = await loadKeypair(values);
    const ctx = await openClient(values);
    try {
      const session = await ctx.pubky.signer(keypair).signin({ awaitRepublish: true });
      await saveSession(ctx.sessionFile, session);
      console.log(`signed in ${session.publicKey.z32} on ${session.homeserver.z32}`);
      console.log(`capabilities ${session.capabilities.join(',')}`);
      console.error(`session saved to ${ctx.sessionFile}`);
    } finally {
      await ctx.close();
    }
  },
};
