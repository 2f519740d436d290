import { resolve } from 'node:path';
import { startTestnet } from '@pubky-ts/testnet';
import { intOption, type Command } from '../args.ts';
import { CliError } from '../cli-error.ts';
import { serveUntilSignal } from '../run-until-signal.ts';

export const testnet: Command = {
  name: 'testnet',
  usage: `pubky testnet [--data-dir <dir>] [--random-ports] [--open-signup] [--dht-nodes <n>] [--log-level <l>]

Starts, on loopback, the layout official clients expect in testnet mode: a DHT bootstrap node on
udp 6881 with more DHT nodes, the pkarr relay on 15411, the HTTP relay on 15412, and a homeserver
with the key of the 32-zero-byte secret on 6286 (admin on 6288, password "admin"), its packet
published. Prints what runs where and a fresh signup token. Ctrl-C stops it.

      --data-dir <dir>      keep the homeserver's data here (default: temporary, removed on exit)
      --random-ports        free random ports instead of the fixed layout
      --open-signup         no signup token needed
      --dht-nodes <n>       DHT nodes besides the bootstrap node (default 4)
      --log-level <l>       homeserver log level (default warn)
      --postgres <url>      the homeserver on PostgreSQL (scale-out profile) instead of SQLite
      --instances <n>       homeserver processes behind a load balancer on the homeserver port (needs --postgres)`,
  options: {
    'data-dir': { type: 'string' },
    'random-ports': { type: 'boolean' },
    'open-signup': { type: 'boolean' },
    'dht-nodes': { type: 'string' },
    'log-level': { type: 'string' },
    postgres: { type: 'string' },
    instances: { type: 'string' },
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
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { code?: string };
      if (err.code === 'EADDRINUSE' || /in use/i.test(err.message)) {
        throw new CliError(`${err.message}\nAnother testnet may be running; stop it or use --random-ports.`, 1);
      }
      throw e;
    }
    console.log('Pubky testnet running:\n');
    console.log(net.describe());
    console.log(`\nsignup token         ${await net.signupToken()}`);
    console.log('\nCtrl-C to stop.');
    return serveUntilSignal('testnet', () => net.close());
  },
};
