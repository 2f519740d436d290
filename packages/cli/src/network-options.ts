import { DEFAULT_BOOTSTRAP, DhtNode } from '@pubky-ts/dht';
import { DEFAULT_RELAYS, Pkarr } from '@pubky-ts/pkarr';
import { listOption } from './args.ts';
import { CliError } from './cli-error.ts';

/** The networks a command can talk to: the public Mainline DHT + relays, or the local one of `npm start`. */
export const NETWORKS = ['mainnet', 'testnet'] as const;
export type NetworkName = (typeof NETWORKS)[number];

/** The environment variable that keeps a shell on one network without repeating `--testnet`. */
export const NETWORK_ENV = 'PUBKY_NETWORK';

/** Options of every command that talks to the PKARR network. */
export const networkOptions = {
  relay: { type: 'string' as const, multiple: true as const },
  bootstrap: { type: 'string' as const, multiple: true as const },
  'no-dht': { type: 'boolean' as const },
  testnet: { type: 'boolean' as const },
  network: { type: 'string' as const },
  timeout: { type: 'string' as const },
};

export const networkUsage = `      --testnet             the local testnet of \`npm start\`: relay http://localhost:15411, DHT 127.0.0.1:6881
      --network <name>      mainnet (default) or testnet; default $${NETWORK_ENV}, so
                            \`export ${NETWORK_ENV}=testnet\` stays on the testnet without --testnet
      --relay <url>         a pkarr relay (repeatable; default the network's)
      --bootstrap <h:p>     DHT bootstrap node (repeatable; default the network's)
      --no-dht              use relays only
      --timeout <ms>        per request (default 2000)`;

/**
 * The network the options name: --testnet, then --network, then $PUBKY_NETWORK, then mainnet.
 * An unknown name is a usage error that lists the known ones.
 */
export function selectedNetwork(values: Record<string, unknown>): NetworkName {
  if (values.testnet === true) return 'testnet';
  const fromFlag = typeof values.network === 'string';
  const raw = fromFlag ? (values.network as string) : process.env[NETWORK_ENV];
  if (raw === undefined || raw === '') return 'mainnet';
  const name = raw.trim().toLowerCase();
  if ((NETWORKS as readonly string[]).includes(name)) return name as NetworkName;
  const where = fromFlag ? '--network' : `$${NETWORK_ENV}`;
  throw new CliError(`${where} is ${JSON.stringify(raw.slice(0, 40))}: use one of ${NETWORKS.join(', ')}`);
}

/**
 * A hint for errors that look like the command looked on the wrong network: the user asked the
 * public network for something that lives on the local testnet (or the testnet is not running).
 */
export function networkHint(values: Record<string, unknown>, message: string): string | null {
  if (!/ENOTFOUND|ECONNREFUSED|EAI_AGAIN|pkarr_unavailable|no packet found|could not resolve|fetch failed/i.test(message)) return null;
  let network: NetworkName;
  try {
    network = selectedNetwork(values);
  } catch {
    return null;
  }
  if (network === 'testnet') {
    return 'Is the local testnet running? Start it with `npm start` (or `pubky testnet`).';
  }
  if (listOption(values.relay).length > 0) return null;
  return `This looked on the public network. For the local network of \`npm start\`, add --testnet or run \`export ${NETWORK_ENV}=testnet\`.`;
}

export interface Network {
  name: NetworkName;
  pkarr: Pkarr;
  dht: DhtNode | null;
  relays: string[];
  close(): Promise<void>;
}

export async function openNetwork(values: Record<string, unknown>): Promise<Network> {
  const name = selectedNetwork(values);
  const testnet = name === 'testnet';
  let relays = listOption(values.relay);
  let bootstrap = listOption(values.bootstrap);
  if (testnet) {
    if (relays.length === 0) relays = ['http://localhost:15411'];
    if (bootstrap.length === 0) bootstrap = ['127.0.0.1:6881'];
  }
  if (!testnet && relays.length === 0) relays = [...DEFAULT_RELAYS];
  const timeout = values.timeout === undefined ? 2000 : Number(values.timeout);
  const dht = values['no-dht']
    ? null
    : await DhtNode.start({
        port: 0,
        host: '0.0.0.0',
        bootstrap: bootstrap.length > 0 ? bootstrap : [...DEFAULT_BOOTSTRAP],
        serverMode: false,
        requestTimeoutMs: timeout,
      });
  const pkarr = new Pkarr({ relays, dht: dht ?? undefined, requestTimeoutMs: timeout });
  return {
    name,
    pkarr,
    dht,
    relays,
    async close() {
      await pkarr.close();
      await dht?.close();
    },
  };
}
