import { Counter, Gauge, Histogram, register as defaultRegister, type Registry } from 'prom-client';

/**
 * Load-shedding series (prom-client, the default registry `/metrics` serves), per BFF:
 *
 *   portico_load_shed_total{bff,priority,reason}    operations refused with 503 SERVICE_OVERLOADED;
 *                                                   reason: over_limit | queue_full | queue_timeout | displaced
 *   portico_operations_in_flight{bff}               operations holding a slot
 *   portico_operations_queued{bff}                  operations waiting for one
 *   portico_admission_wait_seconds{bff,priority}    time queued operations waited before they were admitted
 */
export interface LoadSheddingMetrics {
  shed: Counter<'bff' | 'priority' | 'reason'>;
  inFlight: Gauge<'bff'>;
  queued: Gauge<'bff'>;
  wait: Histogram<'bff' | 'priority'>;
}

// Metric objects, not request state: one set per registry, so several gateways started in one
// process (tests) share them instead of failing on a duplicate registration.
const byRegistry = new WeakMap<Registry, LoadSheddingMetrics>();

export function loadSheddingMetrics(registry: Registry = defaultRegister): LoadSheddingMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const existing = registry.getSingleMetric('portico_load_shed_total');
  if (existing) {
    // Another copy of this module (a second module graph in one process) registered them.
    const get = <T>(name: string) => registry.getSingleMetric(name) as T;
    metrics = {
      shed: get('portico_load_shed_total'),
      inFlight: get('portico_operations_in_flight'),
      queued: get('portico_operations_queued'),
      wait: get('portico_admission_wait_seconds'),
    };
  } else {
    const registers = [registry];
    metrics = {
      shed: new Counter({
        name: 'portico_load_shed_total',
        help: 'Operations refused with 503 SERVICE_OVERLOADED, by priority and reason (over_limit, queue_full, queue_timeout, displaced).',
        labelNames: ['bff', 'priority', 'reason'],
        registers,
      }),
      inFlight: new Gauge({
        name: 'portico_operations_in_flight',
        help: 'Operations holding a load-shedding slot, per BFF.',
        labelNames: ['bff'],
        registers,
      }),
      queued: new Gauge({
        name: 'portico_operations_queued',
        help: 'Operations waiting for a load-shedding slot, per BFF.',
        labelNames: ['bff'],
        registers,
      }),
      wait: new Histogram({
        name: 'portico_admission_wait_seconds',
        help: 'Time queued operations waited for a slot before they were admitted.',
        labelNames: ['bff', 'priority'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers,
      }),
    };
  }
  byRegistry.set(registry, metrics);
  return metrics;
}
