import { DEFAULT_BOOTSTRAP } from '@pubky-ts/dht';
import { DEFAULT_RELAY_RATE_LIMIT, startHttpRelay, startPkarrRelay } from '@pubky-ts/relay';
import { intOption, listOption, type Command } from '../args.ts';
import { serveUntilSignal } from '../run-until-signal.ts';

export const relay: Command = {
  name: 'relay',
  usage: `pubky relay [--port 15411] [--host 127.0.0.1] [--cache-dir <dir>] [--bootstrap <h:p>]… [--rate-limit]

Serves GET/PUT /<key> for signed packets, backed by its own DHT node and a SQLite cache.

      --port <n>            HTTP port (default 15411)
      --host <ip>           address to bind (default 127.0.0.1)
      --cache-dir <dir>     keep the cache here (default: in memory)
      --bootstrap <h:p>     DHT bootstrap nodes (repeatable; default the public DHT)
      --no-dht              cache only
      --rate-limit          per-IP limits of the public relays (2 req/s)
      --timeout <ms>        DHT request timeout (default 2000)`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'cache-dir': { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    'no-dht': { type: 'boolean' },
    'rate-limit': { type: 'boolean' },
    timeout: { type: 'string' },
  },
  async run(values) {
    const bootstrap = listOption(values.bootstrap);
    const handle = await startPkarrRelay({
      port: intOption(values.port, 'port') ?? 15411,
      host: (values.host as string | undefined) ?? '127.0.0.1',
      cacheDir: values['cache-dir'] as string | undefined,
      rateLimit: values['rate-limit'] ? DEFAULT_RELAY_RATE_LIMIT : false,
      dht: values['no-dht']
        ? false
        : {
            bootstrap: bootstrap.length > 0 ? bootstrap : [...DEFAULT_BOOTSTRAP],
            host: bootstrap.length > 0 ? '127.0.0.1' : '0.0.0.0',
            requestTimeoutMs: intOption(values.timeout, 'timeout', { min: 1, max: 600_000 }),
          },
    });
    console.log(`pkarr relay listening on ${handle.url}`);
    return serveUntilSignal('pkarr relay', () => handle.close());
  },
};

export const httpRelay: Command = {
  name: 'http-relay',
  usage: `pubky http-relay [--port 15412] [--host 127.0.0.1] [--cors]

      --port <n>            HTTP port (default 15412)
      --host <ip>           address to bind (default 127.0.0.1)
      --cors                allow every origin`,
  options: { port: { type: 'string' }, host: { type: 'string' }, cors: { type: 'boolean' } },
  async run(values) {
    const handle = await startHttpRelay({
      port: intOption(values.port, 'port') ?? 15412,
      host: (values.host as string | undefined) ?? '127.0.0.1',
      corsAllowAll: Boolean(values.cors),
    });
    console.log(`HTTP relay listening on ${handle.url} (auth flow channels under ${handle.url}/inbox)`);
    return serveUntilSignal('HTTP relay', () => handle.close());
  },
};
