/** One token bucket to check and charge: `limit` points, refilled evenly over `windowMs`. */
export interface Bucket {
  /** Identifies the bucket within the store's namespace (the BFF), e.g. "tenant:acme". */
  key: string;
  limit: number;
  windowMs: number;
}

export interface Consumption {
  /** True when every bucket held the cost, and every bucket was charged; false: none was. */
  admitted: boolean;
  /** Points left in each bucket after the decision, in the order the buckets were given. */
  remaining: number[];
}

/**
 * Where rate-limit buckets live: this process's memory, or Redis shared by a fleet. Both check
 * and charge all of an operation's buckets as one atomic step, so two requests racing for the
 * last points cannot both win, and a refused request charges nothing.
 */
export interface RateLimitStore {
  /** Rejects when the store cannot answer (Redis down or too slow); callers pick the fail mode. */
  consume(buckets: readonly Bucket[], cost: number): Promise<Consumption>;
  close(): Promise<void>;
}
