import type { Cluster, Redis } from 'ioredis';
import type { Bucket, Consumption, RateLimitStore } from './rateLimitStore.js';
import { runScript } from '../redis/runScript.js';
import { TOKEN_BUCKET } from './tokenBucketScript.js';

export interface RedisRateLimitStoreOptions {
  /**
   * A client configured to fail fast (createRateLimitStores does: `commandTimeout`, no offline
   * queue, no per-command retries). Standalone or Cluster; the store never closes it.
   */
  client: Redis | Cluster;
  /** Usually the BFF's name. It is the Cluster hash tag of every key, so one call stays in one slot. */
  namespace: string;
  /** @default 'portico:' */
  keyPrefix?: string;
  /**
   * The clock, in epoch ms. @default the Redis server's clock (`TIME` in the script), so a fleet
   * of gateways with drifting clocks still refills every bucket at one rate.
   */
  now?: () => number;
}

/**
 * Buckets in Redis, shared by every gateway instance: one EVALSHA per decision, whatever the
 * number of tiers. After a Redis restart (scripts are not persisted) the first call finds no
 * script and sends it once with EVAL.
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  const { client, namespace } = options;
  const prefix = `${options.keyPrefix ?? 'portico:'}rl:{${namespace}}:`;
  const now = options.now;

  return {
    async consume(buckets: readonly Bucket[], cost: number): Promise<Consumption> {
      const args: (string | number)[] = [buckets.length];
      for (const bucket of buckets) args.push(prefix + bucket.key);
      args.push(now ? Math.floor(now()) : -1, cost);
      for (const bucket of buckets) args.push(bucket.limit, bucket.windowMs);
      const reply = await runScript(client, TOKEN_BUCKET, args as [number, ...(string | number)[]]);
      const [admitted, ...remaining] = reply as [number, ...string[]];
      return { admitted: admitted === 1, remaining: remaining.map(Number) };
    },
    close() {
      return Promise.resolve();
    },
  };
}
