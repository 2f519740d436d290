import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair, type PublicKey } from '@pubky-ts/common';
import { DhtNode, startLocalSwarm, type LocalSwarm } from '@pubky-ts/dht';
import { pkarrPublisher, resolveConfig, startHomeserver } from '@pubky-ts/homeserver';
import { startHomeserverCluster, type HomeserverCluster } from './homeserver-cluster.ts';
import { startTestnetIndexer, TESTNET_INDEXER_PORT } from './testnet-indexer.ts';
import type { Indexer } from '@pubky-ts/indexer';
import { startHttpRelay, startPkarrRelay, type HttpRelayHandle, type PkarrRelayHandle } from '@pubky-ts/relay';

/** The places official SDKs look for in testnet mode (spec README). */
export const TESTNET_PORTS = {
  dhtBootstrap: 6881,
  pkarrRelay: 15411,
  httpRelay: 15412,
  homeserverHttp: 6286,
  homeserverPubkyTls: 6287,
  homeserverAdmin: 6288,
} as const;

/** The testnet homeserver's key: the Ed25519 key of the 32-zero-byte secret. */
export const TESTNET_HOMESERVER_SECRET = new Uint8Array(32);
export const TESTNET_ADMIN_PASSWORD = 'admin';

export interface TestnetOptions {
  /**
   * true: the fixed layout of the spec (UDP 6881, HTTP 15411/15412/6286/6288), for official clients
   * and `npm start`. false (default): random free ports, so tests can run in parallel.
   */
  fixedPorts?: boolean;
  /** DHT nodes besides the bootstrap node (default 4). */
  dhtNodes?: number;
  /** Keep the homeserver's data here; default: a temporary directory removed on close. */
  dataDir?: string;
  /** Default: the zero-seed key when `fixedPorts`, a random key otherwise. */
  homeserverKeypair?: Keypair;
  /** Default `token_required`. */
  signupMode?: 'open' | 'token_required';
  /** Homeserver log level (default `warn`). */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /**
   * Answer `GET /session` without a session with 404 (what the official SDK 0.6.0 understands)
   * instead of the newest protocol's 401. Default false.
   */
  compatSession404?: boolean;
  /** PostgreSQL URL: the homeserver uses the scale-out profile on this database. */
  postgres?: string;
  /** Homeserver processes behind a load balancer (needs `postgres` when more than 1). Default 1, in-process. */
  instances?: number;
  /** Run the pubky.app indexer over the homeserver too (fixed port 6290 with `fixedPorts`). Default false. */
  indexer?: boolean;
  /** DHT request timeout (default 1000 ms: loopback answers in microseconds, but a loaded machine can stall a node for hundreds of ms, and only dead nodes ever cost the full wait). */
  requestTimeoutMs?: number;
}

/** What a testnet's homeserver is to its users, one process or a cluster behind a load balancer. */
export interface HomeserverHandle {
  url: string;
  adminUrl: string | null;
  publicKey: PublicKey;
  close(): Promise<void>;
}

export interface Testnet extends AsyncDisposable {
  /** `127.0.0.1:<port>` of the bootstrap node first, then every other node. */
  bootstrap: string[];
  dhtBootstrapNode: DhtNode;
  swarm: LocalSwarm;
  pkarrRelay: PkarrRelayHandle;
  httpRelay: HttpRelayHandle;
  homeserver: HomeserverHandle;
  /** The pubky.app indexer when `indexer` was asked for; `indexer.follow(key)` adds homeservers. */
  indexer: Indexer | null;
  /** The processes and load balancer when `instances` > 1. */
  cluster: HomeserverCluster | null;
  adminPassword: string;
  /** A fresh single-use signup token from the admin API. */
  signupToken(): Promise<string>;
  /** What runs where, one line per service. */
  describe(): string;
  close(): Promise<void>;
}

/** Starts a whole Pubky network in this process on loopback. */
export async function startTestnet(options: TestnetOptions = {}): Promise<Testnet> {
  const fixed = options.fixedPorts ?? false;
  const requestTimeoutMs = options.requestTimeoutMs ?? 1000;
  const port = (p: number) => (fixed ? p : 0);
  const tempDir = options.dataDir ? null : mkdtempSync(join(tmpdir(), 'pubky-testnet-'));
  const dataDir = options.dataDir ?? tempDir!;
  const closers: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // keep closing the rest
      }
    }
  };
  try {
    const swarm = await startLocalSwarm(options.dhtNodes ?? 4, { requestTimeoutMs });
    closers.push(() => swarm.close());
    const dhtBootstrapNode = await DhtNode.start({
      host: '127.0.0.1',
      port: port(TESTNET_PORTS.dhtBootstrap),
      bootstrap: swarm.bootstrap,
      serverMode: true,
      requestTimeoutMs,
    });
    closers.push(() => dhtBootstrapNode.close());
    for (const n of swarm.nodes) n.addNode({ id: dhtBootstrapNode.id, ...dhtBootstrapNode.address() });
    const bootstrap = [dhtBootstrapNode.bootstrapEntry(), ...swarm.bootstrap];

    const pkarrRelay = await startPkarrRelay({
      host: '127.0.0.1',
      port: port(TESTNET_PORTS.pkarrRelay),
      dht: { bootstrap, requestTimeoutMs },
      lookupTimeoutMs: 2000,
    });
    closers.push(() => pkarrRelay.close());
    const httpRelay = await startHttpRelay({ host: '127.0.0.1', port: port(TESTNET_PORTS.httpRelay), corsAllowAll: true });
    closers.push(() => httpRelay.close());

    const instances = options.instances ?? 1;
    if (instances > 1 && !options.postgres) {
      throw new Error('several homeserver instances share their state through PostgreSQL: give a postgres URL too');
    }
    const table: Record<string, Record<string, unknown>> = {
      general: { signup_mode: options.signupMode ?? 'token_required', database_url: options.postgres ?? '' },
      drive: {
        icann_listen_socket: `127.0.0.1:${port(TESTNET_PORTS.homeserverHttp)}`,
        pubky_listen_socket: `127.0.0.1:${TESTNET_PORTS.homeserverPubkyTls}`,
        compat_session_404: options.compatSession404 ?? false,
      },
      admin: { listen_socket: `127.0.0.1:${port(TESTNET_PORTS.homeserverAdmin)}`, admin_password: TESTNET_ADMIN_PASSWORD },
      pkdns: {
        public_ip: '127.0.0.1',
        icann_domain: 'localhost',
        dht_bootstrap_nodes: bootstrap,
        dht_relay_nodes: [pkarrRelay.url],
        dht_request_timeout_ms: requestTimeoutMs,
        // Nothing serves Pubky TLS on 6287 here: advertise only the HTTP port that listens.
        public_pubky_tls_port: 0,
      },
      logging: { level: options.logLevel ?? 'warn' },
    };
    const keypair = options.homeserverKeypair ?? (fixed ? Keypair.fromSecretKey(TESTNET_HOMESERVER_SECRET) : Keypair.random());
    let cluster: HomeserverCluster | null = null;
    let homeserver: HomeserverHandle;
    if (instances > 1) {
      cluster = await startHomeserverCluster({
        instances,
        dataDir,
        keypair,
        config: table,
        port: port(TESTNET_PORTS.homeserverHttp),
        adminPort: port(TESTNET_PORTS.homeserverAdmin),
      });
      homeserver = cluster;
    } else {
      homeserver = await startHomeserver(resolveConfig(dataDir, table), { keypair, publisher: pkarrPublisher() });
    }
    closers.push(() => homeserver.close());
    if (tempDir) closers.unshift(() => rmSync(tempDir, { recursive: true, force: true }));

    let indexer: Indexer | null = null;
    if (options.indexer) {
      indexer = await startTestnetIndexer({
        relay: pkarrRelay.url,
        homeservers: [homeserver.publicKey.z32],
        dataDir,
        port: port(TESTNET_INDEXER_PORT),
      });
      closers.push(() => indexer!.close());
    }

    const signupToken = async () => {
      const res = await fetch(`${homeserver.adminUrl}/generate_signup_token`, {
        headers: { 'X-Admin-Password': TESTNET_ADMIN_PASSWORD },
      });
      if (!res.ok) throw new Error(`the admin API answered ${res.status}: ${await res.text()}`);
      return (await res.text()).trim();
    };
    const describe = () =>
      [
        `DHT bootstrap node   udp://${dhtBootstrapNode.bootstrapEntry()}  (+${swarm.nodes.length} more nodes)`,
        `pkarr relay          ${pkarrRelay.url}`,
        `HTTP relay           ${httpRelay.url}  (auth flow: ${httpRelay.url}/inbox)`,
        `homeserver           ${homeserver.url}  key ${homeserver.publicKey.z32}${
          cluster ? `  (load balancer over ${cluster.instances.length} processes: ${cluster.instances.map((i) => i.url).join(', ')})` : ''
        }`,
        `homeserver admin     ${homeserver.adminUrl}  (X-Admin-Password: ${TESTNET_ADMIN_PASSWORD})`,
        ...(indexer ? [`indexer API          ${indexer.url}  (GET /openapi.json, /status)`] : []),
        `data                 ${tempDir ? `${dataDir} (temporary)` : dataDir}`,
      ].join('\n');
    return {
      bootstrap,
      dhtBootstrapNode,
      swarm,
      pkarrRelay,
      httpRelay,
      homeserver,
      cluster,
      indexer,
      adminPassword: TESTNET_ADMIN_PASSWORD,
      signupToken,
      describe,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
