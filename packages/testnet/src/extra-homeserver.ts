// More homeservers on a running testnet: each has its own key, data directory and ports, and
// publishes itself through the testnet's relay and DHT, so users can sign up on several homeservers,
// move between them and mirror one on another.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@pubky-ts/common';
import { pkarrPublisher, resolveConfig, startHomeserver, type RunningHomeserver } from '@pubky-ts/homeserver';
import { testnetHomeserverTable } from './homeserver-table.ts';
import { TESTNET_ADMIN_PASSWORD, type Testnet } from './testnet.ts';

export interface ExtraHomeserverOptions {
  keypair?: Keypair;
  /** Default `open`. */
  signupMode?: 'open' | 'token_required';
  /** Keep the data here; default: a temporary directory removed on close. */
  dataDir?: string;
  /** Default `warn`. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Further config sections merged over the defaults (e.g. `{ drive: { icann_listen_socket: '127.0.0.1:7000' } }`). */
  config?: Record<string, Record<string, unknown>>;
}

export interface ExtraHomeserver extends RunningHomeserver {
  /** A fresh single-use signup token from this homeserver's admin API. */
  signupToken(): Promise<string>;
}

/** Starts another homeserver on random loopback ports, publishing through `testnet`'s relay and DHT. */
export async function startExtraHomeserver(testnet: Testnet, options: ExtraHomeserverOptions = {}): Promise<ExtraHomeserver> {
  const tempDir = options.dataDir ? null : mkdtempSync(join(tmpdir(), 'pubky-hs-'));
  const dataDir = options.dataDir ?? tempDir!;
  const base = testnetHomeserverTable({
    bootstrap: testnet.bootstrap,
    relays: [testnet.pkarrRelay.url],
    signupMode: options.signupMode ?? 'open',
    logLevel: options.logLevel,
    requestTimeoutMs: 1000,
  });
  for (const [section, values] of Object.entries(options.config ?? {})) base[section] = { ...base[section], ...values };
  let hs: RunningHomeserver;
  try {
    hs = await startHomeserver(resolveConfig(dataDir, base), { keypair: options.keypair ?? Keypair.random(), publisher: pkarrPublisher() });
  } catch (e) {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }
  const close = async () => {
    await hs.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  const signupToken = async () => {
    const res = await fetch(`${hs.adminUrl}/generate_signup_token`, { headers: { 'X-Admin-Password': TESTNET_ADMIN_PASSWORD } });
    if (!res.ok) throw new Error(`the admin API answered ${res.status}: ${await res.text()}`);
    return (await res.text()).trim();
  };
  return { ...hs, close, signupToken };
}
