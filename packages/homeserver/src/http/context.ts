import type { Logger } from 'pino';
import type { Keypair } from '@pubky-ts/common';
import type { HomeserverConfig } from '../config/config.ts';
import type { HomeserverStore } from '../storage/types.ts';
import type { EventStreams } from './event-streams.ts';
import type { BandwidthThrottle } from './bandwidth.ts';
import type { HomeserverMetrics } from '../metrics/homeserver-metrics.ts';
import type { MirrorService } from '../mirror/service.ts';

/** What every route needs, built once by the composition root (server.ts). */
export interface HttpDeps {
  config: HomeserverConfig;
  keypair: Keypair;
  store: HomeserverStore;
  log: Logger;
  /** Open SSE connections, so shutdown can end them. */
  streams: EventStreams;
  /** Bandwidth throttling of storage bodies (spec §8.1). */
  bandwidth: BandwidthThrottle;
  /** Metrics, collected only when `metrics.enabled` (null otherwise). */
  metrics: HomeserverMetrics | null;
  /** The followers of the users this homeserver mirrors (`/mirror` routes, started and closed with the server). */
  mirrors: MirrorService;
  /** Unix seconds; injectable for tests of time windows. */
  nowSeconds: () => number;
  /** µs, for AuthToken windows. */
  nowMicros: () => number;
}

export type { PrivacyPolicy } from './core/http-request.ts';
