import { Counter, register as defaultRegister, type Registry } from 'prom-client';

/**
 * Response-cache series (prom-client, the default registry `/metrics` serves), per BFF:
 *
 *   portico_response_cache_lookups_total{bff,result}   queries by outcome: hit | miss |
 *                                                      uncacheable (a field forbids it) |
 *                                                      anonymous_private (PRIVATE data, no principal)
 *   portico_response_cache_stores_total{bff,result}    misses written (stored) or not (skipped: errors,
 *                                                      stale fallback data, an invalidation raced it, store down)
 *   portico_response_cache_purged_total{bff}           entries purged by mutations through this BFF
 */
export interface ResponseCacheMetrics {
  lookups: Counter<'bff' | 'result'>;
  stores: Counter<'bff' | 'result'>;
  purged: Counter<'bff'>;
}

// Metric objects, not request state: one set per registry, shared by every gateway in the process.
const byRegistry = new WeakMap<Registry, ResponseCacheMetrics>();

export function responseCacheMetrics(registry: Registry = defaultRegister): ResponseCacheMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  if (registry.getSingleMetric('portico_response_cache_lookups_total')) {
    const get = <T>(name: string) => registry.getSingleMetric(name) as T;
    metrics = {
      lookups: get('portico_response_cache_lookups_total'),
      stores: get('portico_response_cache_stores_total'),
      purged: get('portico_response_cache_purged_total'),
    };
  } else {
    const registers = [registry];
    metrics = {
      lookups: new Counter({
        name: 'portico_response_cache_lookups_total',
        help: 'Queries seen by the response cache, by result (hit, miss, uncacheable, anonymous_private).',
        labelNames: ['bff', 'result'],
        registers,
      }),
      stores: new Counter({
        name: 'portico_response_cache_stores_total',
        help: 'Cache misses written to the response cache (stored) or not (skipped).',
        labelNames: ['bff', 'result'],
        registers,
      }),
      purged: new Counter({
        name: 'portico_response_cache_purged_total',
        help: 'Cached responses purged because a mutation returned an entity they hold.',
        labelNames: ['bff'],
        registers,
      }),
    };
  }
  byRegistry.set(registry, metrics);
  return metrics;
}
