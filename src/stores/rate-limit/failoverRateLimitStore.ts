import type { Logger } from 'pino';
import type { Bucket, Consumption, RateLimitStore } from './rateLimitStore.js';
import { setStoreMode, type RateLimitStoreMode } from './rateLimitStoreMetrics.js';

/**
 * Which limiter is deciding: `shared` (Redis, limits hold for the whole fleet), `local` (Redis
 * unreachable, fail-open: this instance's memory decides), `refusing` (Redis unreachable,
 * fail-closed: requests are refused with 503).
 */
export type { RateLimitStoreMode } from './rateLimitStoreMetrics.js';

/** Thrown by `consume` while the store fails closed. */
export class RateLimitStoreUnavailableError extends Error {
  override readonly name = 'RateLimitStoreUnavailableError';
}

export interface FailoverRateLimitStoreOptions {
  primary: RateLimitStore;
  /** Takes over while the primary fails, with failMode 'open'. */
  fallback: RateLimitStore;
  failMode: 'open' | 'closed';
  /** For logs and metrics. */
  bff: string;
  logger: Logger;
}

export interface FailoverRateLimitStore extends RateLimitStore {
  mode(): RateLimitStoreMode;
}

/**
 * The Redis store with its documented failure behaviour. Every call goes to Redis first (the
 * client fails fast while disconnected, and times out a slow command), so the shared limits are
 * back with the first request after Redis is; each change of mode is logged once and published
 * as the `portico_rate_limit_store_mode` gauge.
 */
export function createFailoverRateLimitStore(options: FailoverRateLimitStoreOptions): FailoverRateLimitStore {
  const { primary, fallback, failMode, bff, logger } = options;
  let mode: RateLimitStoreMode = 'shared';
  setStoreMode(bff, mode);

  const enter = (next: RateLimitStoreMode, error?: unknown) => {
    if (next === mode) return;
    const previous = mode;
    mode = next;
    setStoreMode(bff, mode);
    if (next === 'shared') {
      logger.info({ bff, mode, previous }, 'rate limiter: Redis answers again; fleet-wide limits in force');
    } else {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn(
        { bff, mode, failMode, reason },
        next === 'local'
          ? 'rate limiter: Redis unavailable; failing open: this instance enforces the limits on its own'
          : 'rate limiter: Redis unavailable; failing closed: requests are refused until it answers',
      );
    }
  };

  return {
    mode: () => mode,
    async consume(buckets: readonly Bucket[], cost: number): Promise<Consumption> {
      try {
        const consumption = await primary.consume(buckets, cost);
        enter('shared');
        return consumption;
      } catch (error) {
        enter(failMode === 'open' ? 'local' : 'refusing', error);
        if (failMode === 'closed') throw new RateLimitStoreUnavailableError('the rate-limit store cannot answer', { cause: error });
        return fallback.consume(buckets, cost);
      }
    },
    async close() {
      await Promise.all([primary.close(), fallback.close()]);
    },
  };
}
