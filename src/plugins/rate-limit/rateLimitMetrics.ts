import { Counter, register } from 'prom-client';

export type RateLimitOutcome = 'admitted' | 'limited' | 'over_capacity' | 'unavailable';

const NAME = 'portico_rate_limit_decisions_total';

// prom-client's default registry (the admin /metrics reads it); created once per process and
// shared by every BFF through the `bff` label. Start-up creates it even when no BFF limits, so
// dashboards and alerts find the family (src/runtime/startPortico.ts).
export function rateLimitDecisions(): Counter<'bff' | 'outcome'> {
  return (
    (register.getSingleMetric(NAME) as Counter<'bff' | 'outcome'> | undefined) ??
    new Counter({
      name: NAME,
      help: 'Rate-limit decisions by outcome: admitted, limited (429), over_capacity (cost above a bucket), unavailable (503, fail-closed).',
      labelNames: ['bff', 'outcome'],
    })
  );
}

export function countDecision(bff: string, outcome: RateLimitOutcome): void {
  rateLimitDecisions().inc({ bff, outcome });
}
