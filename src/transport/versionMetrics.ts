import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, gauge, histogram } from '../observability/metrics.js';

/**
 * Series of a source's versions (docs/traffic.md), labelled by `source` and `version`:
 *
 *   portico_source_version_calls_total{source,version,outcome}      success | error, per routed call
 *   portico_source_version_call_duration_seconds{source,version}   latency of routed calls
 *   portico_source_version_weight{source,version}                  the weight in force (0 once rolled back)
 *   portico_source_version_rolled_back{source,version}             1 while rolled back, else 0
 *   portico_source_version_rollbacks_total{source,version,reason}  error_rate | p99
 *   portico_mirror_requests_total{source,version,result}           equal | different | failed | skipped | paused
 *   portico_mirror_diff_total{source,version}                      mirrored answers that differed
 *
 * The per-attempt transport series (transportMetrics.ts) carry the version too, in their
 * `source` label: each version has its own transport named `source@version`.
 */
export interface VersionMetrics {
  calls: Counter<'source' | 'version' | 'outcome'>;
  callDuration: Histogram<'source' | 'version'>;
  weight: Gauge<'source' | 'version'>;
  rolledBack: Gauge<'source' | 'version'>;
  rollbacks: Counter<'source' | 'version' | 'reason'>;
  mirrorRequests: Counter<'source' | 'version' | 'result'>;
  mirrorDiffs: Counter<'source' | 'version'>;
}

export function versionMetrics(registry?: Registry): VersionMetrics {
  return {
    calls: counter({ name: 'portico_source_version_calls_total', help: 'Calls routed to each version of a source, by outcome (success, error: a 5xx or a failed call).', labelNames: ['source', 'version', 'outcome'] }, registry),
    callDuration: histogram({ name: 'portico_source_version_call_duration_seconds', help: 'Latency of calls routed to each version of a source.', labelNames: ['source', 'version'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }, registry),
    weight: gauge({ name: 'portico_source_version_weight', help: 'Weight in percent in force for each version of a source (0 once rolled back).', labelNames: ['source', 'version'] }, registry),
    rolledBack: gauge({ name: 'portico_source_version_rolled_back', help: '1 while a version of a source is rolled back, else 0.', labelNames: ['source', 'version'] }, registry),
    rollbacks: counter({ name: 'portico_source_version_rollbacks_total', help: 'Automatic rollbacks of a version, by reason (error_rate, p99).', labelNames: ['source', 'version', 'reason'] }, registry),
    mirrorRequests: counter({ name: 'portico_mirror_requests_total', help: 'Reads copied to a shadow version, by result (equal, different, failed, skipped at the concurrency cap, paused while the shadow keeps failing).', labelNames: ['source', 'version', 'result'] }, registry),
    mirrorDiffs: counter({ name: 'portico_mirror_diff_total', help: 'Mirrored reads whose shadow answer differed from the served one.', labelNames: ['source', 'version'] }, registry),
  };
}
