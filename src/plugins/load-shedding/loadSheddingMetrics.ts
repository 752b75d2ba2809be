import type { Registry } from 'prom-client';
import { declareSeries } from '../../observability/metrics.js';

/**
 * Load-shedding series (prom-client, the default registry `/metrics` serves), per BFF:
 *
 *   portico_load_shed_total{bff,priority,reason}    operations refused with 503 SERVICE_OVERLOADED;
 *                                                   reason: over_limit | queue_full | queue_timeout | displaced
 *   portico_operations_in_flight{bff}               operations holding a slot
 *   portico_operations_queued{bff}                  operations waiting for one
 *   portico_admission_wait_seconds{bff,priority}    time queued operations waited before they were admitted
 */
export type LoadSheddingMetrics = ReturnType<typeof loadSheddingMetrics>;

export function loadSheddingMetrics(registry?: Registry) {
  return declareSeries(
    {
      shed: { type: 'counter', name: 'portico_load_shed_total', help: 'Operations refused with 503 SERVICE_OVERLOADED, by priority and reason (over_limit, queue_full, queue_timeout, displaced).', labelNames: ['bff', 'priority', 'reason'] },
      inFlight: { type: 'gauge', name: 'portico_operations_in_flight', help: 'Operations holding a load-shedding slot, per BFF.', labelNames: ['bff'] },
      queued: { type: 'gauge', name: 'portico_operations_queued', help: 'Operations waiting for a load-shedding slot, per BFF.', labelNames: ['bff'] },
      wait: { type: 'histogram', name: 'portico_admission_wait_seconds', help: 'Time queued operations waited for a slot before they were admitted.', labelNames: ['bff', 'priority'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] },
    },
    registry,
  );
}
