import type { Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { networkOptions, selectedNetwork } from '../network-options.ts';
import { fetchSignupToken, SignupTokenError } from '../signup-token.ts';

/** Where `npm start`'s homeserver answers its admin API, and its password (packages/testnet). */
const TESTNET_ADMIN_URL = 'http://127.0.0.1:6288';
const TESTNET_ADMIN_PASSWORD = 'admin';

export const admin: Command = {
  name: 'admin',
  usage: `pubky admin token [--admin-url <url>] [--password <p>] [--testnet]

Asks a homeserver's admin API for a fresh signup token and prints it (stdout: the token only).
Each token signs up one user; run this again for the next one.

  pubky admin token --testnet            the homeserver of \`npm start\` (admin on ${TESTNET_ADMIN_URL})
  pubky admin token --admin-url http://127.0.0.1:6288 --password "$PUBKY_ADMIN_PASSWORD"

      --admin-url <url>     the admin API (default with --testnet or PUBKY_NETWORK=testnet: ${TESTNET_ADMIN_URL})
      --password <p>        X-Admin-Password (default $PUBKY_ADMIN_PASSWORD; on the testnet "${TESTNET_ADMIN_PASSWORD}")
      --testnet, --network <name>   as for every command

Exit codes: 0 done, 1 the admin API refused or did not answer, 2 bad usage.`,
  options: {
    'admin-url': { type: 'string' },
    password: { type: 'string' },
    testnet: networkOptions.testnet,
    network: networkOptions.network,
  },
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals[0] !== 'token' || positionals.length !== 1) {
      throw new CliError('the admin subcommand is `token`: pubky admin token [--admin-url <url>]');
    }
    const testnet = selectedNetwork(values) === 'testnet';
    const url = (values['admin-url'] as string | undefined) ?? (testnet ? TESTNET_ADMIN_URL : undefined);
    if (!url) throw new CliError('give the admin API with --admin-url <url> (or --testnet for the homeserver of `npm start`)');
    if (!/^https?:\/\/[^/]/.test(url)) throw new CliError(`--admin-url must be an http(s) URL, got ${JSON.stringify(url.slice(0, 80))}`);
    const password =
      (values.password as string | undefined) ?? process.env.PUBKY_ADMIN_PASSWORD ?? (testnet ? TESTNET_ADMIN_PASSWORD : undefined);
    if (password === undefined) throw new CliError('give the admin password with --password or $PUBKY_ADMIN_PASSWORD');
    let token: string;
    try {
      token = await fetchSignupToken(url, password);
    } catch (e) {
      if (e instanceof SignupTokenError) throw new CliError(`${url}: ${e.message}`, 1, e.code);
      const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
      const hint = testnet ? ' Is the testnet running (`npm start`)?' : '';
      throw new CliError(`no answer from the admin API at ${url}: ${cause}.${hint}`, 1);
    }
    console.log(token);
    return 0;
  },
};
