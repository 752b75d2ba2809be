import { counter } from '../../observability/metrics.js';

export type RateLimitOutcome = 'admitted' | 'limited' | 'over_capacity' | 'unavailable';

// Shared by every BFF of the process, told apart by the `bff` label. Start-up creates it even when
// no BFF limits, so dashboards and alerts find the family (src/runtime/startPortico.ts).
export function rateLimitDecisions() {
  return counter({
    name: 'portico_rate_limit_decisions_total',
    help: 'Rate-limit decisions by outcome: admitted, limited (429), over_capacity (cost above a bucket), unavailable (503, fail-closed).',
    labelNames: ['bff', 'outcome'],
  });
}

export function countDecision(bff: string, outcome: RateLimitOutcome): void {
  rateLimitDecisions().inc({ bff, outcome });
}
