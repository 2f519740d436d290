// The homeserver settings of a testnet member: loopback, published through the testnet's relay and
// DHT, `localhost` as its ICANN domain (browsers and SDKs reach it over plain HTTP) and no Pubky TLS
// record, since nothing serves Pubky TLS here.
import { TESTNET_ADMIN_PASSWORD, TESTNET_PORTS } from './testnet.ts';

export interface TestnetHomeserverTableOptions {
  /** DHT bootstrap nodes (default the fixed layout's `127.0.0.1:6881`). */
  bootstrap?: string[];
  /** Pkarr relays (default the fixed layout's `http://127.0.0.1:15411`). */
  relays?: string[];
  /** Client API port (default 0: a free one). */
  port?: number;
  /** Admin API port (default 0: a free one). */
  adminPort?: number;
  signupMode?: 'open' | 'token_required';
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  requestTimeoutMs?: number;
}

/** Config tables (as in config.toml) for a homeserver that joins a testnet. */
export function testnetHomeserverTable(options: TestnetHomeserverTableOptions = {}): Record<string, Record<string, unknown>> {
  return {
    general: { signup_mode: options.signupMode ?? 'token_required' },
    drive: { icann_listen_socket: `127.0.0.1:${options.port ?? 0}`, pubky_listen_socket: '127.0.0.1:0' },
    admin: { listen_socket: `127.0.0.1:${options.adminPort ?? 0}`, admin_password: TESTNET_ADMIN_PASSWORD },
    pkdns: {
      public_ip: '127.0.0.1',
      icann_domain: 'localhost',
      dht_bootstrap_nodes: options.bootstrap ?? [`127.0.0.1:${TESTNET_PORTS.dhtBootstrap}`],
      dht_relay_nodes: options.relays ?? [`http://127.0.0.1:${TESTNET_PORTS.pkarrRelay}`],
      dht_request_timeout_ms: options.requestTimeoutMs ?? 1000,
      public_pubky_tls_port: 0,
    },
    logging: { level: options.logLevel ?? 'warn' },
  };
}
