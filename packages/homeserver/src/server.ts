import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { HttpApp } from './http/core/http-app.ts';
import { pino } from 'pino';
import { PubkyError, type Keypair, type PublicKey } from '@pubky-ts/common';
import { defaultQuotaMb, type HomeserverConfig, type SocketAddress } from './config/config.ts';
import { loadOrCreateSecretKey } from './config/secret-key.ts';
import { buildAdminApp } from './admin/admin-app.ts';
import { buildClientApp } from './http/client-app.ts';
import { EventStreams } from './http/event-streams.ts';
import type { HttpDeps } from './http/context.ts';
import { MirrorService } from './mirror/service.ts';
import { openHomeserverStore } from './storage/open-store.ts';
import { BandwidthThrottle } from './http/bandwidth.ts';
import { HomeserverMetrics } from './metrics/homeserver-metrics.ts';
import { buildMetricsApp } from './metrics/metrics-app.ts';
import { openPostgresStore } from './storage/postgres/index.ts';
import type { HomeserverStore } from './storage/types.ts';
import type { HomeserverStartCode } from './errors/catalogue.ts';

/** A start-up failure with a stable code (`PORT_IN_USE`, `LISTEN_FAILED`, `PUBLISH_FAILED`, …). */
export class HomeserverStartError extends PubkyError {
  declare readonly code: Exclude<HomeserverStartCode, 'CONFIG_INVALID'>;
  constructor(code: Exclude<HomeserverStartCode, 'CONFIG_INVALID'>, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'HomeserverStartError';
  }
}

/** What a publisher (the pkarr hook) learns once the sockets are bound. */
export interface StartedInfo {
  keypair: Keypair;
  publicKey: PublicKey;
  config: HomeserverConfig;
  /** The port the ICANN (plain HTTP) socket actually bound. */
  icannPort: number;
  adminPort: number | null;
  store: HomeserverStore;
  log: Logger;
}

/** A running background job started by a publisher; stopped before the listeners close. */
export interface PublisherHandle {
  close(): Promise<void> | void;
}

export interface StartHomeserverOptions {
  /** Homeserver key; default: `<dataDir>/secret` (created if missing). */
  keypair?: Keypair;
  /** A store to use instead of opening the embedded one in the data dir (it is closed on close()). */
  store?: HomeserverStore;
  /** Logger; default: pino on stdout at `logging.level`. */
  logger?: Logger;
  /**
   * Called once both sockets listen, before `startHomeserver` resolves: publish the homeserver's
   * pkarr packet and start republishers here. A throw aborts start-up (the reference refuses to run
   * unpublished). The returned handle is closed first on shutdown.
   */
  publisher?: (info: StartedInfo) => Promise<PublisherHandle | void> | PublisherHandle | void;
  /** Clock override (unix ms) for tests of time windows. */
  nowMs?: () => number;
}

export interface RunningHomeserver {
  /** `http://<host>:<port>` of the client API. */
  url: string;
  /** `http://<host>:<port>` of the admin API, or null when disabled. */
  adminUrl: string | null;
  /** `http://<host>:<port>` of the metrics endpoint (`/metrics`), or null when disabled. */
  metricsUrl: string | null;
  publicKey: PublicKey;
  keypair: Keypair;
  config: HomeserverConfig;
  store: HomeserverStore;
  log: Logger;
  /**
   * Graceful shutdown: stop the publisher, stop accepting, end event streams, let in-flight requests
   * (writes) finish for up to `drive.shutdown_timeout_ms`, then close the store. Idempotent.
   */
  close(): Promise<void>;
}

function urlOf(addr: AddressInfo): string {
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

async function listen(app: HttpApp, at: SocketAddress, key: string): Promise<AddressInfo> {
  try {
    return await app.listen({ host: at.host, port: at.port });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const where = `${at.host}:${at.port}`;
    if (code === 'EADDRINUSE') throw new HomeserverStartError('PORT_IN_USE', `${key} ${where} is already in use`, { cause: e });
    if (code === 'EACCES')
      throw new HomeserverStartError('PORT_FORBIDDEN', `${key} ${where}: permission denied (ports below 1024 need privileges)`, {
        cause: e,
      });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new HomeserverStartError('ADDRESS_UNAVAILABLE', `${key} ${where}: no such local address`, { cause: e });
    }
    throw new HomeserverStartError('LISTEN_FAILED', `${key} ${where}: ${(e as Error).message}`, { cause: e });
  }
}

/** Closes an app, forcing remaining connections after `timeoutMs`. */
async function closeApp(app: HttpApp, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), timeoutMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

/** The store the config names: PostgreSQL when `general.database_url` is set, else embedded SQLite. */
async function openConfiguredStore(config: HomeserverConfig): Promise<HomeserverStore> {
  const quotaMb = defaultQuotaMb(config);
  if (config.general.databaseUrl) {
    return openPostgresStore({
      databaseUrl: config.general.databaseUrl,
      blobs: config.storage.postgresBlobs === 'database' ? 'postgres' : { dir: join(config.dataDir, 'blobs') },
      defaultQuotaMb: quotaMb,
    });
  }
  return openHomeserverStore({
    dataDir: config.dataDir,
    durability: config.storage.fsync ? 'fsync' : 'normal',
    defaultQuotaMb: quotaMb,
  });
}

/**
 * The composition root: key, store, client and admin apps, listeners, publisher hook. Everything is
 * built by plain constructor injection from the validated config.
 */
export async function startHomeserver(config: HomeserverConfig, options: StartHomeserverOptions = {}): Promise<RunningHomeserver> {
  const log = options.logger ?? pino({ level: config.logging.level, base: { name: 'homeserver' } });
  const keypair = options.keypair ?? loadOrCreateSecretKey(config.dataDir);
  const store = options.store ?? (await openConfiguredStore(config));
  const nowMs = options.nowMs ?? Date.now;
  const metrics = config.metrics.enabled ? new HomeserverMetrics() : null;
  const streams = new EventStreams(metrics);
  const nowMicros = (): number => Math.floor(nowMs() * 1000);
  const deps: HttpDeps = {
    config,
    keypair,
    store,
    log,
    streams,
    bandwidth: new BandwidthThrottle(config.defaultQuotas),
    metrics,
    mirrors: new MirrorService({ config, keypair, store, log, nowMicros }),
    nowSeconds: () => Math.floor(nowMs() / 1000),
    nowMicros,
  };
  const { app: client, limiter } = buildClientApp(deps);
  let icannPort = 0;
  const admin = config.admin.enabled
    ? buildAdminApp(deps, () => ({
        pubkyAddress: `${config.pkdns.publicIp}:${config.pkdns.publicPubkyTlsPort ?? config.drive.pubkyListen.port}`,
        icannDomain: `${config.pkdns.icannDomain}:${config.pkdns.publicIcannHttpPort ?? icannPort}`,
      }))
    : null;
  const metricsApp = metrics ? buildMetricsApp(metrics, { log, headersTimeoutMs: config.drive.headersTimeoutMs }) : null;
  const sweep = setInterval(() => limiter.sweep(), 60_000);
  sweep.unref();
  let publisher: PublisherHandle | void = undefined;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweep);
      await deps.mirrors.close().catch((e) => log.warn({ err: e }, 'mirrors failed to stop'));
      try {
        if (publisher) await publisher.close();
      } catch (e) {
        log.warn({ err: e }, 'publisher failed to stop');
      }
      // preClose: SSE streams never finish on their own.
      const timeout = config.drive.shutdownTimeoutMs;
      const closingApps = [
        closeApp(client, timeout),
        admin ? closeApp(admin, timeout) : Promise.resolve(),
        metricsApp ? closeApp(metricsApp, timeout) : Promise.resolve(),
      ];
      streams.endAll();
      await Promise.allSettled(closingApps);
      await store.close();
      log.info('homeserver stopped');
    })();
    return closing;
  };

  try {
    const addr = await listen(client, config.drive.icannListen, 'drive.icann_listen_socket');
    icannPort = addr.port;
    const adminAddr = admin ? await listen(admin, config.admin.listen, 'admin.listen_socket') : null;
    const metricsAddr = metricsApp ? await listen(metricsApp, config.metrics.listen, 'metrics.listen_socket') : null;
    const info: StartedInfo = {
      keypair,
      publicKey: keypair.publicKey,
      config,
      icannPort,
      adminPort: adminAddr?.port ?? null,
      store,
      log,
    };
    if (options.publisher) {
      try {
        publisher = await options.publisher(info);
      } catch (e) {
        throw new HomeserverStartError('PUBLISH_FAILED', `publishing the homeserver packet failed: ${(e as Error).message}`, { cause: e });
      }
    }
    await deps.mirrors.start(publisher);
    const running: RunningHomeserver = {
      url: urlOf(addr),
      adminUrl: adminAddr ? urlOf(adminAddr) : null,
      metricsUrl: metricsAddr ? urlOf(metricsAddr) : null,
      publicKey: keypair.publicKey,
      keypair,
      config,
      store,
      log,
      close,
    };
    log.info(
      { url: running.url, admin: running.adminUrl, metrics: running.metricsUrl, publicKey: keypair.publicKey.z32 },
      'homeserver listening',
    );
    return running;
  } catch (e) {
    await close();
    throw e;
  }
}
