import { HttpApp, type HttpAppOptions } from '../http/core/http-app.ts';
import type { HomeserverMetrics } from './homeserver-metrics.ts';

/**
 * The metrics app: `GET /metrics` (and HEAD) as Prometheus text, on its own socket. It is
 * unauthenticated, like the reference's: keep `metrics.listen_socket` private.
 */
export function buildMetricsApp(metrics: HomeserverMetrics, options: Pick<HttpAppOptions, 'log' | 'headersTimeoutMs'>): HttpApp {
  return new HttpApp(options).route({
    method: ['GET', 'HEAD'],
    url: '/metrics',
    handler: (_request, reply) => {
      reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render());
    },
  });
}
