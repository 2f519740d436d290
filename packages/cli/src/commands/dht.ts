import { DhtNode } from '@pubky-ts/dht';
import { intOption, listOption, type Command } from '../args.ts';
import { serveUntilSignal } from '../run-until-signal.ts';

export const dht: Command = {
  name: 'dht',
  usage: `pubky dht [--port 6881] [--host 0.0.0.0] [--bootstrap <h:p>]… [--first]

Runs a Mainline DHT node (BEP5 + BEP44) in server mode until Ctrl-C.

      --port <n>            UDP port (default 6881, or a random one when taken)
      --host <ip>           IPv4 address to bind (default 0.0.0.0)
      --bootstrap <h:p>     nodes to join through (repeatable; default the public DHT)
      --first               start a new network: no bootstrap nodes
      --timeout <ms>        request timeout (default 2000)`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    first: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  async run(values) {
    const bootstrap = values.first ? [] : listOption(values.bootstrap);
    const node = await DhtNode.start({
      port: intOption(values.port, 'port'),
      host: (values.host as string | undefined) ?? '0.0.0.0',
      bootstrap: bootstrap.length > 0 || values.first ? bootstrap : undefined,
      serverMode: true,
      requestTimeoutMs: intOption(values.timeout, 'timeout', { min: 1, max: 600_000 }),
    });
    const { host, port } = node.address();
    console.log(`DHT node listening on udp://${host}:${port}  id ${Buffer.from(node.id).toString('hex')}`);
    console.log(`routing table: ${node.routingTableSize()} nodes`);
    return serveUntilSignal('DHT node', () => node.close());
  },
};
