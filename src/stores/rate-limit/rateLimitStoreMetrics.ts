import { gauge } from '../../observability/metrics.js';

/** Who decides for a BFF: Redis (shared), fail-open memory (local), or nobody (refusing, fail-closed). */
export type RateLimitStoreMode = (typeof MODES)[number];
const MODES = ['shared', 'local', 'refusing'] as const;

export function setStoreMode(bff: string, mode: RateLimitStoreMode): void {
  // Shared by every BFF of the process, told apart by the `bff` label.
  const modes = gauge({
    name: 'portico_rate_limit_store_mode',
    help: 'Which limiter decides for the BFF: 1 on the mode in force (shared = Redis, local = fail-open memory, refusing = fail-closed).',
    labelNames: ['bff', 'mode'],
  });
  for (const each of MODES) modes.set({ bff, mode: each }, each === mode ? 1 : 0);
}
