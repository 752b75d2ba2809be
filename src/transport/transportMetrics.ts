import type { Registry } from 'prom-client';
import { declareSeries } from '../observability/metrics.js';

/**
 * Per-source transport series (prom-client), labelled by `source` (`orders/orders` for a
 * federation subgraph), so an operator sees which source is failing:
 *
 *   portico_source_breaker_state{source,state}            1 for the breaker's current state, else 0
 *   portico_source_breaker_transitions_total{source,to}   open | half_open | closed
 *   portico_source_calls_total{source,outcome}            every attempt: success | error | timeout
 *                                                         | rejected (open breaker) | cancelled (caller gone)
 *   portico_source_failures_total{source,kind}            error | timeout: the attempts that count against the breaker
 *   portico_source_call_duration_seconds{source,outcome}  latency of attempts that reached the upstream
 *   portico_source_retries_total{source}                  retries sent
 *   portico_source_retries_denied_total{source,reason}    budget | deadline: retries that were due but not sent
 *   portico_source_fallbacks_total{source,result}         served | miss: failed reads answered (or not) from the cache
 *   portico_source_deadline_exceeded_total{source}        calls never started because the request's budget was spent
 */
export type TransportMetrics = ReturnType<typeof transportMetrics>;

export function transportMetrics(registry?: Registry) {
  return declareSeries(
    {
      breakerState: { type: 'gauge', name: 'portico_source_breaker_state', help: 'Circuit breaker state per source: 1 for the current state (closed, half_open, open), 0 for the others.', labelNames: ['source', 'state'] },
      breakerTransitions: { type: 'counter', name: 'portico_source_breaker_transitions_total', help: 'Circuit breaker state changes per source, by the state entered.', labelNames: ['source', 'to'] },
      calls: { type: 'counter', name: 'portico_source_calls_total', help: 'Upstream call attempts per source by outcome (success, error, timeout, rejected by an open breaker, cancelled by the caller).', labelNames: ['source', 'outcome'] },
      failures: { type: 'counter', name: 'portico_source_failures_total', help: 'Upstream call attempts that failed (error) or timed out (timeout), per source.', labelNames: ['source', 'kind'] },
      callDuration: { type: 'histogram', name: 'portico_source_call_duration_seconds', help: 'Latency of upstream call attempts that reached the source, by outcome.', labelNames: ['source', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
      retries: { type: 'counter', name: 'portico_source_retries_total', help: 'Retries of idempotent reads sent, per source.', labelNames: ['source'] },
      retriesDenied: { type: 'counter', name: 'portico_source_retries_denied_total', help: 'Retries that were due but not sent: the retry budget was spent (budget) or the deadline too close (deadline).', labelNames: ['source', 'reason'] },
      fallbacks: { type: 'counter', name: 'portico_source_fallbacks_total', help: 'Failed reads answered from the fallback cache (served) or not (miss), per source.', labelNames: ['source', 'result'] },
      deadlineExceeded: { type: 'counter', name: 'portico_source_deadline_exceeded_total', help: 'Upstream calls never started because the request budget was already spent, per source.', labelNames: ['source'] },
    },
    registry,
  );
}
