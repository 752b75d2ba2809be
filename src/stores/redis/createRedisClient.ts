import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../../config/redisSchema.js';

/**
 * An ioredis client for the deployment's Redis, whichever topology the root config's `redis`
 * describes: a standalone server (`url`), a Sentinel-managed master (`sentinel`) or a Cluster
 * (`cluster`). Credentials, TLS (`rediss://`) and the database number always come from the URL.
 * `options` are ioredis client options (timeouts, retry strategy) applied to every connection.
 */
export function createRedisClient(config: RedisConfig, options: RedisOptions = {}): Redis | Cluster {
  const url = new URL(config.url);
  const common: RedisOptions = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    ...options,
  };
  if (config.cluster) {
    const seed = { host: url.hostname, port: Number(url.port) || 6379 };
    return new Cluster([seed, ...config.cluster.nodes], { redisOptions: common, scaleReads: 'master' });
  }
  if (config.sentinel) {
    const db = Number(url.pathname.slice(1)) || 0;
    return new Redis({ ...common, db, name: config.sentinel.name, sentinels: config.sentinel.sentinels });
  }
  return new Redis(config.url, options);
}
