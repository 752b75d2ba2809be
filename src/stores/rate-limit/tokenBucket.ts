import type { Bucket } from './rateLimitStore.js';

/**
 * The token-bucket arithmetic, pure and clocked from outside. The memory store runs it directly;
 * the Redis store runs the same steps in Lua (tokenBucketScript.ts) — keep the two in step, a test
 * drives both through the same schedule.
 */
export interface BucketState {
  /** Points left at `updatedAt`. */
  tokens: number;
  /** Epoch ms of the last charge. */
  updatedAt: number;
}

/** Points in the bucket at `now`; a bucket never seen (or expired) is full. */
export function refill(state: BucketState | undefined, bucket: Bucket, now: number): BucketState {
  if (!state) return { tokens: bucket.limit, updatedAt: now };
  // A clock that went backwards (another instance's, or an adjusted one) refills nothing.
  if (now <= state.updatedAt) return { tokens: Math.min(state.tokens, bucket.limit), updatedAt: state.updatedAt };
  const tokens = Math.min(bucket.limit, state.tokens + ((now - state.updatedAt) * bucket.limit) / bucket.windowMs);
  return { tokens, updatedAt: now };
}

export interface Decision {
  admitted: boolean;
  /** The buckets' states after the decision (refilled, and charged when admitted). */
  next: BucketState[];
}

/** All buckets pay `cost`, or none does. */
export function takeAll(states: readonly (BucketState | undefined)[], buckets: readonly Bucket[], cost: number, now: number): Decision {
  const refilled = buckets.map((bucket, i) => refill(states[i], bucket, now));
  const admitted = refilled.every((state) => state.tokens >= cost);
  const next = admitted ? refilled.map((state) => ({ tokens: state.tokens - cost, updatedAt: state.updatedAt })) : refilled;
  return { admitted, next };
}

/** Ms until a bucket holding `remaining` points holds `wanted`. */
export function msUntil(wanted: number, remaining: number, bucket: Bucket): number {
  return wanted <= remaining ? 0 : ((wanted - remaining) * bucket.windowMs) / bucket.limit;
}

/** Ms until the bucket is full again: when an idle bucket may be forgotten. */
export function msUntilFull(remaining: number, bucket: Bucket): number {
  return msUntil(bucket.limit, remaining, bucket);
}
