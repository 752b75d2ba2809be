import { Gauge, register } from 'prom-client';

/** Who decides for a BFF: Redis (shared), fail-open memory (local), or nobody (refusing, fail-closed). */
export type RateLimitStoreMode = (typeof MODES)[number];
const MODES = ['shared', 'local', 'refusing'] as const;
const NAME = 'portico_rate_limit_store_mode';

// In prom-client's default registry, where the admin listener's /metrics reads. Registered once
// per process: several BFFs (and test files) share the metric, told apart by the `bff` label.
function modeGauge(): Gauge<'bff' | 'mode'> {
  return (
    (register.getSingleMetric(NAME) as Gauge<'bff' | 'mode'> | undefined) ??
    new Gauge({
      name: NAME,
      help: 'Which limiter decides for the BFF: 1 on the mode in force (shared = Redis, local = fail-open memory, refusing = fail-closed).',
      labelNames: ['bff', 'mode'],
    })
  );
}

export function setStoreMode(bff: string, mode: RateLimitStoreMode): void {
  const gauge = modeGauge();
  for (const each of MODES) gauge.set({ bff, mode: each }, each === mode ? 1 : 0);
}
