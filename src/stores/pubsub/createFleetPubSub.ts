import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/redisSchema.js';
import { createRedisClient } from '../redis/createRedisClient.js';
import { createMemoryPubSub } from './memoryPubSub.js';
import type { PubSub } from './pubSub.js';
import { createRedisPubSub } from './redisPubSub.js';

/**
 * The fleet's channel for config-change notices: over the fleet's Redis (whichever topology the
 * root `redis` describes) when there is one, else in this process only. Two clients: a Redis
 * connection in subscriber mode can run nothing but (un)subscribe commands.
 */
export function createFleetPubSub(redis: RedisConfig | undefined, logger?: Logger): PubSub {
  if (!redis) return createMemoryPubSub();
  return createRedisPubSub({
    // Not on the request path: a slow Redis delays a notice, never a request.
    client: createRedisClient(redis, { role: 'channel', purpose: 'fleet', logger }),
    subscriber: createRedisClient(redis, { role: 'subscriber', purpose: 'fleet', logger }),
    keyPrefix: redis.keyPrefix,
    ownsClients: true,
  });
}
