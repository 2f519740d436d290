import type { Command } from '../args.ts';
import { auth } from './auth.ts';
import { events } from './events.ts';
import { get } from './get.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { ls } from './ls.ts';
import { put } from './put.ts';
import { rm } from './rm.ts';
import { signup } from './signup.ts';
import { dht } from './dht.ts';
import { homeserver } from './homeserver.ts';
import { keygen } from './keygen.ts';
import { publish } from './publish.ts';
import { httpRelay, relay } from './relay.ts';
import { resolve } from './resolve.ts';
import { testnet } from './testnet.ts';

export const commands: Command[] = [keygen, publish, resolve, dht, relay, httpRelay, homeserver, testnet,
  signup, login, logout, put, get, ls, rm, events, auth];
