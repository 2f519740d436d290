import { join, resolve } from 'node:path';
import { Keypair } from '@pubky-ts/common';
import { startExtraHomeserver, startTestnet, TESTNET_PORTS, type ExtraHomeserver } from '@pubky-ts/testnet';
import { intOption, type Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { serveUntilSignal } from '../run-until-signal.ts';

const MAX_HOMESERVERS = 9;

/** The key of the testnet's n-th extra homeserver (1-based): the secret 00…0<n>, like the first's 00…00. */
export function extraHomeserverKeypair(n: number): Keypair {
  const secret = new Uint8Array(32);
  secret[31] = n;
  return Keypair.fromSecretKey(secret);
}

export const testnet: Command = {
  name: 'testnet',
  usage: `pubky testnet [--homeservers <n>] [--data-dir <dir>] [--random-ports] [--open-signup] [--dht-nodes <n>] [--log-level <l>]

Starts, on loopback, the layout official clients expect in testnet mode: a DHT bootstrap node on
udp 6881 with more DHT nodes, the pkarr relay on 15411, the HTTP relay on 15412, and a homeserver
with the key of the 32-zero-byte secret on 6286 (admin on 6288, password "admin"), its packet
published. Prints what runs where and a fresh signup token. Ctrl-C stops it.

Signup tokens are single-use: \`pubky admin token --testnet\` prints another, or --open-signup needs
none. --homeservers 2 adds a second homeserver (to migrate or mirror to): homeserver n listens on
${TESTNET_PORTS.homeserverHttp}+10·(n-1), its admin on ${TESTNET_PORTS.homeserverAdmin}+10·(n-1), and its key is that of the secret 00…0<n-1>.

      --homeservers <n>     homeservers on the network (default 1, at most ${MAX_HOMESERVERS})
      --data-dir <dir>      keep the homeserver's data here (default: temporary, removed on exit)
      --random-ports        free random ports instead of the fixed layout
      --open-signup         no signup token needed
      --dht-nodes <n>       DHT nodes besides the bootstrap node (default 4)
      --log-level <l>       homeserver log level (default warn)
      --postgres <url>      the homeserver on PostgreSQL (scale-out profile) instead of SQLite
      --instances <n>       homeserver processes behind a load balancer on the homeserver port (needs --postgres)
      --no-indexer          without the pubky.app indexer (API on 6290, following the homeserver)`,
  options: {
    homeservers: { type: 'string' },
    'data-dir': { type: 'string' },
    'random-ports': { type: 'boolean' },
    'open-signup': { type: 'boolean' },
    'dht-nodes': { type: 'string' },
    'log-level': { type: 'string' },
    postgres: { type: 'string' },
    instances: { type: 'string' },
    'no-indexer': { type: 'boolean' },
  },
  async run(values) {
    const logLevel = (values['log-level'] as string | undefined) ?? 'warn';
    if (!['trace', 'debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
      throw new CliError(`--log-level must be one of trace, debug, info, warn, error, silent`);
    }
    if (values.instances !== undefined && Number(values.instances) > 1 && !values.postgres) {
      throw new CliError('--instances needs --postgres <url>: the processes share their state through PostgreSQL');
    }
    let net;
    try {
      net = await startTestnet({
        fixedPorts: !values['random-ports'],
        dataDir: values['data-dir'] ? resolve(values['data-dir'] as string) : undefined,
        signupMode: values['open-signup'] ? 'open' : 'token_required',
        dhtNodes: intOption(values['dht-nodes'], 'dht-nodes', { min: 1, max: 200 }),
        logLevel: logLevel as 'warn',
        postgres: values.postgres as string | undefined,
        instances: intOption(values.instances, 'instances', { min: 1, max: 32 }),
        indexer: !values['no-indexer'],
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { code?: string };
      if (err.code === 'EADDRINUSE' || /in use/i.test(err.message)) {
        throw new CliError(`${err.message}\nAnother testnet may be running; stop it or use --random-ports.`, 1);
      }
      throw e;
    }
    const extras: ExtraHomeserver[] = [];
    const stop = async () => {
      for (const hs of extras.reverse()) await hs.close().catch(() => {});
      await net.close();
    };
    const count = intOption(values.homeservers, 'homeservers', { min: 1, max: MAX_HOMESERVERS }) ?? 1;
    const fixed = !values['random-ports'];
    try {
      for (let n = 1; n < count; n++) {
        extras.push(
          await startExtraHomeserver(net, {
            keypair: extraHomeserverKeypair(n),
            signupMode: values['open-signup'] ? 'open' : 'token_required',
            dataDir: values['data-dir'] ? join(resolve(values['data-dir'] as string), `homeserver-${n + 1}`) : undefined,
            logLevel: logLevel as 'warn',
            config: {
              drive: { icann_listen_socket: `127.0.0.1:${fixed ? TESTNET_PORTS.homeserverHttp + 10 * n : 0}` },
              admin: { listen_socket: `127.0.0.1:${fixed ? TESTNET_PORTS.homeserverAdmin + 10 * n : 0}` },
            },
          }),
        );
      }
    } catch (e) {
      await stop();
      throw new CliError(`homeserver ${extras.length + 2} did not start: ${(e as Error).message}`, 1);
    }
    console.log('Pubky testnet running:\n');
    console.log(net.describe());
    extras.forEach((hs, i) => {
      console.log(`homeserver ${i + 2}         ${hs.url}  key ${hs.publicKey.z32}`);
      console.log(`homeserver ${i + 2} admin   ${hs.adminUrl}  (X-Admin-Password: admin)`);
    });
    if (values['open-signup']) {
      console.log('\nsign-up is open: no signup token needed');
    } else {
      console.log(`\nsignup token         ${await net.signupToken()}`);
      for (const [i, hs] of extras.entries()) console.log(`signup token (hs ${i + 2})  ${await hs.signupToken()}`);
      const first = fixed ? '--testnet' : `--admin-url ${net.homeserver.adminUrl}`;
      console.log(`\nEach token signs up one user. More: \`pubky admin token ${first}\``);
      for (const [i, hs] of extras.entries()) console.log(`  (homeserver ${i + 2}: \`pubky admin token --admin-url ${hs.adminUrl}\`)`);
      console.log('or restart with `npm start -- --open-signup` to need none.');
    }
    console.log('\nCLI on this network: add --testnet, or `export PUBKY_NETWORK=testnet`. Ctrl-C to stop.');
    return serveUntilSignal('testnet', stop);
  },
};
