import type { Logger } from 'pino';

/**
 * Logs a Redis-backed store's failed commands at most once a second: during an outage every
 * request fails its lookup, and one line per request would flood the log. The store carries on
 * as its fail mode says (a miss, a skipped write); the log only tells the operator.
 */
export function storeFailureLog(logger: Logger | undefined, message: string): (error: unknown, operation: string) => void {
  let last = 0;
  return (error, operation) => {
    const now = Date.now();
    if (now - last < 1_000) return;
    last = now;
    logger?.warn({ err: error, operation }, message);
  };
}
