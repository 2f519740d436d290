import type { Command } from '../args.ts';
import { dht } from './dht.ts';
import { homeserver } from './homeserver.ts';
import { keygen } from './keygen.ts';
import { publish } from './publish.ts';
import { httpRelay, relay } from './relay.ts';
import { resolve } from './resolve.ts';
import { testnet } from './testnet.ts';

export const commands: Command[] = [keygen, publish, resolve, dht, relay, httpRelay, homeserver, testnet];
