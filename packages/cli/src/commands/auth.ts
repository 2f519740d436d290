import { AuthFlowError, parseDeepLink, type AuthDeepLink } from '@pubky-ts/client';
import { Capabilities, PublicKey } from '@pubky-ts/common';
import { intOption, type Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { keyOptions, keyUsage, loadKeypair } from '../key-source.ts';
import { clientOptions, clientUsage, exitCodesUsage, openClient, saveSession } from '../session-file.ts';

function describeRequest(req: AuthDeepLink): string {
  if (req.intent === 'direct_signup') return `direct sign-up at homeserver ${req.homeserver.z32}`;
  const parts = [`${req.intent} asking for ${req.capabilities || '(no capabilities)'}`, `relay ${req.relay}`];
  if ('homeserver' in req) parts.push(`homeserver ${req.homeserver.z32}`);
  if ('clientId' in req) parts.push(`app ${req.clientId} (client key ${req.clientKey.z32})`);
  if (req.callbacks?.source) parts.push(`from ${JSON.stringify(req.callbacks.source)}`);
  return parts.join(', ');
}

async function approve(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw new CliError('give exactly one pubkyauth:// URL');
  let req: AuthDeepLink;
  try {
    req = parseDeepLink(positionals[0]);
  } catch (e) {
    throw new CliError(`not an auth request URL: ${(e as Error).message}`);
  }
  const keypair = await loadKeypair(values);
  console.error(`approving for ${keypair.publicKey.z32}: ${describeRequest(req)}`);
  const ctx = await openClient(values);
  try {
    await ctx.pubky.signer(keypair).approveAuthRequest(req, { signal: AbortSignal.timeout(60_000) });
  } finally {
    await ctx.close();
  }
  console.log(`approved ${req.intent}${req.intent !== 'direct_signup' ? ` ${req.capabilities}` : ''} for ${keypair.publicKey.z32}`);
  return 0;
}

async function request(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals.length !== 0) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (typeof values.caps !== 'string') throw new CliError('give the capabilities to ask for: --caps /pub/example.app/:rw');
  let caps: Capabilities;
  try {
    caps = Capabilities.parse(values.caps);
  } catch (e) {
    throw new CliError(`--caps ${JSON.stringify(values.caps)}: ${(e as Error).message}`);
  }
  let homeserver: PublicKey | undefined;
  if (typeof values.homeserver === 'string') {
    homeserver = PublicKey.tryParse(values.homeserver) ?? undefined;
    if (!homeserver) throw new CliError(`--homeserver ${JSON.stringify(values.homeserver)} is not a public key`);
  }
  const waitS = intOption(values.wait, 'wait', { min: 1, max: 86_400 }) ?? 300;
  const ctx = await openClient(values);
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const flow = ctx.pubky.startAuthFlow(caps, {
      homeserver,
      signupToken: homeserver ? (values['signup-token'] as string | undefined) : undefined,
    });
    console.log(flow.authorizationUrl);
    console.error(`waiting up to ${waitS} s for approval (pubky auth approve '<url>' with the user's key)…`);
    let session;
    try {
      session = await flow.awaitSession({ signal: AbortSignal.any([stop.signal, AbortSignal.timeout(waitS * 1000)]) });
    } catch (e) {
      if (e instanceof AuthFlowError && e.code === 'auth_flow_aborted') {
        throw new CliError(stop.signal.aborted ? 'interrupted before approval' : `no approval within ${waitS} s`, 1, 'interrupted');
      }
      throw e;
    }
    console.log(`session ${session.publicKey.z32}`);
    console.log(`homeserver ${session.homeserver.z32}`);
    console.log(`capabilities ${session.capabilities.join(',')}`);
    if (values.export) console.log(`export ${session.export()}`);
    if (values.save) {
      await saveSession(ctx.sessionFile, session);
      console.error(`session saved to ${ctx.sessionFile}`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await ctx.close();
  }
}

export const auth: Command = {
  name: 'auth',
  usage: `pubky auth approve <pubkyauth://… URL> (--key <file> | --recovery <file>)
pubky auth request --caps <caps> [--homeserver <key> [--signup-token <t>]] [--wait <s>] [--save] [--export]

approve: the authenticator's side. Shows what the app asks for, signs it with the key (an
AuthToken, or a grant for the app's client key), encrypts it with the link's secret and posts it
to the link's relay channel. Signup requests create the account first.

request: the app's side. Prints a pubkyauth://signin URL for the capabilities (signup with
--homeserver), waits for a key holder to approve it, signs in with what arrives and prints the
session (user, homeserver, capabilities).

${keyUsage}
      --caps <caps>         capabilities to ask for, e.g. /pub/example.app/:rw,/pub/other/:r
      --homeserver <key>    ask for a sign-up at this homeserver instead of a sign-in
      --signup-token <t>    with --homeserver: its signup token
      --wait <s>            give up after this many seconds (default 300)
      --save                save the session to the session file (keyed by the user)
      --export              also print the session export (it holds the session secret)
${clientUsage}

${exitCodesUsage}`,
  options: {
    ...keyOptions,
    caps: { type: 'string' },
    homeserver: { type: 'string' },
    'signup-token': { type: 'string' },
    wait: { type: 'string' },
    save: { type: 'boolean' },
    export: { type: 'boolean' },
    ...clientOptions,
  },
  allowPositionals: true,
  async run(values, positionals) {
    const [sub, ...rest] = positionals;
    if (sub === 'approve') return approve(values, rest);
    if (sub === 'request') return request(values, rest);
    throw new CliError(
      sub === undefined ? 'give a subcommand: approve or request' : `unknown subcommand ${JSON.stringify(sub)}: approve or request`,
    );
  },
};
