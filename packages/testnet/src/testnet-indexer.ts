// The testnet's indexer: the pubky.app backend following the testnet's homeservers, so a local
// social app has an API to read feeds and search from.
import { join } from 'node:path';
import { Pubky } from '@pubky-ts/client';
import { startIndexer, type Indexer } from '@pubky-ts/indexer';

export const TESTNET_INDEXER_PORT = 6290;

export function startTestnetIndexer(options: { relay: string; homeservers: string[]; dataDir: string; port: number }): Promise<Indexer> {
  return startIndexer({
    database: join(options.dataDir, 'indexer.sqlite'),
    homeservers: options.homeservers,
    pubky: new Pubky({ relays: [options.relay], testnet: { host: 'localhost' } }),
    api: { host: '127.0.0.1', port: options.port },
    follower: { pollMs: 50 },
  });
}
