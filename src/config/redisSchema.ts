import { z } from 'zod';

// The Redis a fleet of gateways shares (root config `redis`, or the REDIS_URL environment
// variable). Rate-limit buckets live there when it is set; docs/cost-and-rate-limits.md.

const redisUrl = z.string().regex(/^rediss?:\/\/\S+$/, { error: 'expected a redis:// or rediss:// URL' });

const redisObject = z.strictObject({
  url: redisUrl,
  /**
   * Longest wait for one Redis command (ioredis `commandTimeout`). A request never waits longer
   * on the limiter: past this the BFF's `rateLimit.failMode` decides.
   * @default 100: a healthy Redis answers in about a millisecond; a tenth of a second is far
   * outside normal jitter yet small next to a request's budget.
   */
  commandTimeoutMs: z.number().int().positive().default(100),
  /**
   * How long start-up waits for the first connection before serving anyway (in the fail mode).
   * @default 2000: enough for a Redis starting alongside the gateway; a missing Redis must not
   * keep the gateway down.
   */
  connectTimeoutMs: z.number().int().positive().default(2000),
  /** Prefix of every key Portico writes. @default 'portico:' */
  keyPrefix: z.string().default('portico:'),
  /**
   * Redis Sentinel (src/stores/redis/createRedisClient.ts): ioredis asks these sentinels where the
   * master `name` is and follows failovers; the URL then only supplies credentials, TLS and db.
   * @default undefined: `url` is the server
   */
  sentinel: z
    .strictObject({
      name: z.string().min(1),
      sentinels: z.array(z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) })).min(1),
    })
    .optional(),
  /**
   * Redis Cluster: the URL's host is one seed node, `nodes` adds more; ioredis discovers the rest
   * and follows slot moves. Keys that must live together use hash tags.
   * @default undefined: `url` is the server
   */
  cluster: z
    .strictObject({ nodes: z.array(z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) })).default([]) })
    .optional(),
}).refine((redis) => !(redis.sentinel && redis.cluster), { error: 'give at most one of "sentinel" or "cluster"' });

/** `'redis://host:6379'` or `{ url, commandTimeoutMs, connectTimeoutMs, keyPrefix }`. */
export const redisSchema = z.union([redisUrl.transform((url) => redisObject.parse({ url })), redisObject]);

export type RedisConfig = z.infer<typeof redisObject>;
