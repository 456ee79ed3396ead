import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  dbDuration: client.Histogram;
  feedSubscribers: client.Gauge;
  feedEvents: client.Counter;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'rocqet_' });
  const httpDuration = new client.Histogram({
    name: 'rocqet_http_request_duration_seconds',
    help: 'HTTP request latency by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const dbDuration = new client.Histogram({
    name: 'rocqet_db_query_duration_seconds',
    help: 'Time spent in database queries',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const feedSubscribers = new client.Gauge({
    name: 'rocqet_feed_subscribers',
    help: 'Open change feed (SSE) streams in this process',
    registers: [registry],
  });
  const feedEvents = new client.Counter({
    name: 'rocqet_feed_events_delivered_total',
    help: 'Change feed events written to subscribers',
    registers: [registry],
  });
  return { registry, httpDuration, dbDuration, feedSubscribers, feedEvents };
}
