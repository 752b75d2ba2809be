import type { Bucket, Consumption, RateLimitStore } from './rateLimitStore.js';
import { msUntilFull, takeAll, type BucketState } from './tokenBucket.js';

export interface MemoryRateLimitStoreOptions {
  /** @default Date.now; tests pass their own clock. */
  now?: () => number;
  /**
   * Buckets kept at most; beyond that the least recently charged go first (a forgotten bucket is
   * a full one, so eviction only ever errs towards admitting).
   * @default 100000: one per tenant and anonymous address of a busy instance, about 10 MB.
   */
  maxBuckets?: number;
}

interface Entry extends BucketState {
  /** When the bucket is full again, so it can be dropped. */
  fullAt: number;
}

/**
 * Buckets in this process's memory: the default, and the fail-open fallback for Redis. A Map in
 * charge order doubles as the LRU list; each charge also drops up to two buckets that have
 * filled up again, so idle buckets vanish without a timer.
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): RateLimitStore {
  const now = options.now ?? Date.now;
  const maxBuckets = options.maxBuckets ?? 100_000;
  const entries = new Map<string, Entry>();

  const sweep = (time: number) => {
    let checked = 0;
    for (const [key, entry] of entries) {
      if (entries.size > maxBuckets || (checked < 2 && entry.fullAt <= time)) {
        entries.delete(key);
      } else if (checked >= 2) {
        break;
      }
      checked++;
    }
  };

  return {
    consume(buckets: readonly Bucket[], cost: number): Promise<Consumption> {
      const time = now();
      const decision = takeAll(buckets.map((bucket) => entries.get(bucket.key)), buckets, cost, time);
      if (decision.admitted && cost > 0) {
        buckets.forEach((bucket, i) => {
          const state = decision.next[i]!;
          entries.delete(bucket.key);
          entries.set(bucket.key, { ...state, fullAt: state.updatedAt + msUntilFull(state.tokens, bucket) });
        });
        sweep(time);
      }
      return Promise.resolve({ admitted: decision.admitted, remaining: decision.next.map((state) => state.tokens) });
    },
    close() {
      entries.clear();
      return Promise.resolve();
    },
  };
}
