import { counter } from '../../observability/metrics.js';

export type RateLimitOutcome = 'admitted' | 'limited' | 'over_capacity' | 'unavailable';

export function countDecision(bff: string, outcome: RateLimitOutcome): void {
  // Shared by every BFF of the process, told apart by the `bff` label.
  counter({
    name: 'portico_rate_limit_decisions_total',
    help: 'Rate-limit decisions by outcome: admitted, limited (429), over_capacity (cost above a bucket), unavailable (503, fail-closed).',
    labelNames: ['bff', 'outcome'],
  }).inc({ bff, outcome });
}
