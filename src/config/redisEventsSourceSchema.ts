import { z } from 'zod';
import { sourceResilienceSchema } from './resilienceSchema.js';

/**
 * A backend that publishes JSON events on the deployment's Redis (root `redis`) without a GraphQL
 * server: its SDL maps `Subscription` fields to pub/sub channels with `@channel`
 * (docs/redis-event-sources.md).
 */
export const redisEventsSourceSchema = z.strictObject({
  kind: z.literal('redis-events'),
  /** SDL file of the source, relative to the config file. */
  schema: z.string().min(1),
  /**
   * Accepted so every source has the same shape (health, reload checks read it), and unused: the
   * events come over the deployment's Redis client, whose timeouts are the root `redis` config's.
   */
  resilience: sourceResilienceSchema,
});

export type RedisEventsSourceConfig = z.infer<typeof redisEventsSourceSchema>;
