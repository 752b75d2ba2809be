import type { Env } from '../src/config/loadConfig.js';
import type { RateLimitConfigInput } from '../src/config/rateLimitSchema.js';

/**
 * The demo BFFs' rate-limit plan (docs/cost-and-rate-limits.md, "The demo plan"): every caller
 * gets `DEMO_RATE_LIMIT_POINTS` cost points a minute (default 200), refilled continuously.
 *
 * - anonymous callers: one bucket per client IP (IPv6 per /64);
 * - demo tokens and partner keys: one bucket per tenant (per subject for a token naming none),
 *   whatever the plan.
 *
 * Each operation costs its query cost, at least 1 point, so a burst of 300 cheap requests
 * (`{ __typename }`) from one caller is refused with 429 RATE_LIMITED after about 200. The test
 * support raises the figure so the test suite's own traffic is never limited (test/support/portico.ts).
 */
export function demoRateLimit(env: Env): RateLimitConfigInput {
  const points = Number(env.DEMO_RATE_LIMIT_POINTS ?? 200);
  const quota = { limit: points, windowSeconds: 60 };
  return {
    tiers: [
      { kind: 'anonymous', ...quota },
      { kind: 'tenant', plans: {}, otherPlans: quota },
    ],
  };
}
