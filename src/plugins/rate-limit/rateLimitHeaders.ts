import { msUntil, msUntilFull } from '../../stores/rate-limit/tokenBucket.js';
import type { PolicyBucket } from './selectBuckets.js';

/**
 * The IETF rate-limit fields, as draft-ietf-httpapi-ratelimit-headers-09 (March 2025) defines
 * them: Structured-Field lists with one item per policy (tier) that applied to the request.
 *
 *   RateLimit-Policy: "global";q=1000;w=60, "tenant";q=100;w=60
 *   RateLimit: "global";r=874;t=8, "tenant";r=12;t=53
 *
 * q is the bucket's size and w its refill window in seconds; r is what is left (whole points) and
 * t the seconds until the bucket is full again. The quota unit is cost points, which the draft's
 * registered units ("requests", "content-bytes", "concurrent-requests") cannot express, so `qu`
 * is left out; docs/cost-and-rate-limits.md says how a client reads the figures.
 */
export function rateLimitHeaders(buckets: readonly PolicyBucket[], remaining: readonly number[]): Record<string, string> {
  return {
    'RateLimit-Policy': policyOf(buckets),
    RateLimit: buckets
      .map((bucket, i) => {
        const left = Math.max(0, remaining[i] ?? 0);
        return `"${bucket.policy}";r=${Math.floor(left)};t=${Math.ceil(msUntilFull(left, bucket) / 1000)}`;
      })
      .join(', '),
  };
}

/** Whole seconds until every bucket that refused can pay `cost` (at least 1). */
export function retryAfterSeconds(buckets: readonly PolicyBucket[], remaining: readonly number[], cost: number): number {
  let ms = 0;
  buckets.forEach((bucket, i) => {
    ms = Math.max(ms, msUntil(cost, remaining[i] ?? 0, bucket));
  });
  return Math.max(1, Math.ceil(ms / 1000));
}

// The policy field depends on the bucket list alone, which createBucketSelector hands out again
// to every request of one caller and operation: written once per list.
const policies = new WeakMap<readonly PolicyBucket[], string>();

function policyOf(buckets: readonly PolicyBucket[]): string {
  let policy = policies.get(buckets);
  if (policy === undefined) {
    policy = buckets.map((bucket) => `"${bucket.policy}";q=${bucket.limit};w=${Math.ceil(bucket.windowMs / 1000)}`).join(', ');
    policies.set(buckets, policy);
  }
  return policy;
}
