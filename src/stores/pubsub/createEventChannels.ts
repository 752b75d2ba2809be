import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/redisSchema.js';
import { createRedisClient } from '../redis/createRedisClient.js';
import type { PubSub } from './pubSub.js';
import { createRedisPubSub } from './redisPubSub.js';

/**
 * The channels Redis event sources listen on (src/sources/redis-events/): one subscriber
 * connection per process, shared by every subscription (a channel is subscribed once however
 * many clients listen on it), from the deployment's Redis whatever its topology. Channel names
 * are the publishing backend's, so no key prefix is added. Created on first use, kept across
 * reloads (subscriptions running on the previous config keep their channels), closed on shutdown.
 */
export function createEventChannels(redis: RedisConfig, logger?: Logger): PubSub {
  return createRedisPubSub({
    // Subscriptions only; the publishing client is never used for a request.
    client: createRedisClient(redis, { role: 'channel', purpose: 'event sources', logger }),
    subscriber: createRedisClient(redis, { role: 'subscriber', purpose: 'event sources', logger }),
    keyPrefix: '',
    ownsClients: true,
  });
}
