import { Counter, Gauge, Histogram, Registry } from './registry.ts';

/** Milliseconds, for query durations. */
const QUERY_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
/** Milliseconds, for how long an event stream stays open. */
const CONNECTION_MS = [100, 1000, 10_000, 60_000, 300_000, 1_800_000, 3_600_000, 14_400_000, 86_400_000];

/** How a storage request named its tenant and authenticated (spec delta §10); no keys or paths. */
export interface StorageRequestLabels {
  addressing_mode: 'path' | 'legacy';
  pubky_host_header: 'absent' | 'matching' | 'other';
  pubky_host_query: 'true' | 'false';
  auth_method: 'none' | 'cookie' | 'grant';
}

/**
 * The homeserver's metrics (spec §5.2 and delta §10), with the reference's names: served as
 * Prometheus text on the metrics socket (`metrics.enabled`), collected only then.
 */
export class HomeserverMetrics {
  readonly registry = new Registry();
  readonly storageRequests = this.registry.register(
    new Counter('storage_request_count_total', 'Requests that reached a storage route with a resolved tenant.', [
      'addressing_mode',
      'pubky_host_header',
      'pubky_host_query',
      'auth_method',
    ]),
  );
  readonly signups = this.registry.register(new Counter('signup_count_total', 'Accounts created (POST /signup and grant sign-up).'));
  readonly eventsQueryMs = this.registry.register(
    new Histogram('events_db_query_duration_ms', 'Database time of one GET /events/ page, ms.', QUERY_MS),
  );
  readonly streamQueryMs = this.registry.register(
    new Histogram('event_stream_db_query_duration_ms', 'Database time of one /events-stream catch-up page, ms.', QUERY_MS),
  );
  readonly streamConnectionMs = this.registry.register(
    new Histogram('event_stream_connection_duration_ms', 'How long /events-stream connections stayed open, ms.', CONNECTION_MS),
  );
  readonly streamLagged = this.registry.register(
    new Counter('event_stream_broadcast_lagged_count_total', 'Live subscribers disconnected for falling too far behind.'),
  );
  readonly streamHalfFull = this.registry.register(
    new Counter('event_stream_broadcast_half_full_count_total', "Times a live subscriber's send buffer passed half its limit."),
  );
  readonly streamActive = this.registry.register(new Gauge('event_stream_active_connections', 'Open /events-stream connections.'));

  render(): string {
    return this.registry.render();
  }
}
