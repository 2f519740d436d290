import { PublicKey } from '@pubky-ts/common';
import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { clientOptions, clientUsage, exitCodesUsage, openClient, saveSession } from '../session-file.ts';

export const signup: Command = {
  name: 'signup',
  usage: `pubky signup (--key <file> | --recovery <file>) --homeserver <key> [--signup-token <token>]

Creates the key's account on the homeserver (POST /signup with a signed AuthToken), publishes the
key's _pubky record pointing there, and saves the session to the session file for later commands.

  pubky signup -k alice.key --homeserver 8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo --signup-token XXXX-XXXX-XXXX --testnet

${keyUsage}
      --homeserver <key>    the homeserver's public key
      --signup-token <t>    the homeserver's signup token, when it asks for one ($PUBKY_SIGNUP_TOKEN)
${clientUsage}

${exitCodesUsage}`,
  options: {
    ...keyOptions,
    homeserver: { type: 'string' },
    'signup-token': { type: 'string' },
    ...clientOptions,
  },
  async run(values) {
    if (typeof values.homeserver !== 'string') throw new CliError('give the homeserver: --homeserver <public key>');
    const homeserver = PublicKey.tryParse(values.homeserver);
    if (!homeserver) throw new CliError(`--homeserver ${JSON.stringify(values.homeserver)} is not a public key`);
    const token = (values['signup-token'] as string | undefined) ?? process.env.PUBKY_SIGNUP_TOKEN;
    const keypair = await loadKeypair(values);
    const ctx = await openClient(values);
    try {
      const session = await ctx.pubky.signer(keypair).signup(homeserver, token || null);
      await saveSession(ctx.sessionFile, session);
      console.log(`signed up ${session.publicKey.z32} on ${session.homeserver.z32}`);
      console.log(`capabilities ${session.capabilities.join(',')}`);
      console.error(`session saved to ${ctx.sessionFile}`);
    } finally {
      await ctx.close();
    }
  },
};
