import { DEFAULT_BOOTSTRAP, DhtNode } from '@pubky-ts/dht';
import { DEFAULT_RELAYS, Pkarr } from '@pubky-ts/pkarr';
import { listOption } from './args.ts';

/** Options of every command that talks to the PKARR network. */
export const networkOptions = {
  relay: { type: 'string' as const, multiple: true as const },
  bootstrap: { type: 'string' as const, multiple: true as const },
  'no-dht': { type: 'boolean' as const },
  testnet: { type: 'boolean' as const },
  timeout: { type: 'string' as const },
};

export const networkUsage = `      --relay <url>         a pkarr relay (repeatable; default the public relays, none with --testnet's own)
      --bootstrap <h:p>     DHT bootstrap node (repeatable; default the public Mainline DHT)
      --no-dht              use relays only
      --testnet             the local testnet: relay http://localhost:15411, DHT 127.0.0.1:6881
      --timeout <ms>        per request (default 2000)`;

export interface Network {
  pkarr: Pkarr;
  dht: DhtNode | null;
  relays: string[];
  close(): Promise<void>;
}

export async function openNetwork(values: Record<string, unknown>): Promise<Network> {
  const testnet = Boolean(values.testnet);
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
    pkarr,
    dht,
    relays,
    async close() {
      await pkarr.close();
      await dht?.close();
    },
  };
}
