import type { Registry } from 'prom-client';
import { declareSeries } from '../../observability/metrics.js';

/**
 * Response-cache series (prom-client, the default registry `/metrics` serves), per BFF:
 *
 *   portico_response_cache_lookups_total{bff,result}   queries by outcome: hit | miss |
 *                                                      uncacheable (a field forbids it) |
 *                                                      anonymous_private (PRIVATE data, no principal)
 *   portico_response_cache_stores_total{bff,result}    misses written (stored) or not (skipped: errors,
 *                                                      stale fallback data, an invalidation raced it, store down;
 *                                                      incremental: answered part by part, @defer/@stream)
 *   portico_response_cache_purged_total{bff}           entries purged by mutations through this BFF
 */
export type ResponseCacheMetrics = ReturnType<typeof responseCacheMetrics>;

export function responseCacheMetrics(registry?: Registry) {
  return declareSeries(
    {
      lookups: { type: 'counter', name: 'portico_response_cache_lookups_total', help: 'Queries seen by the response cache, by result (hit, miss, uncacheable, anonymous_private).', labelNames: ['bff', 'result'] },
      stores: { type: 'counter', name: 'portico_response_cache_stores_total', help: 'Cache misses written to the response cache (stored) or not (skipped, incremental).', labelNames: ['bff', 'result'] },
      purged: { type: 'counter', name: 'portico_response_cache_purged_total', help: 'Cached responses purged because a mutation returned an entity they hold.', labelNames: ['bff'] },
    },
    registry,
  );
}
