import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/redisSchema.js';

let loaded: typeof IORedis | undefined;

/**
 * ioredis is required when the first client is made, not imported: a gateway without Redis
 * (`portico serve`, a single instance with in-memory stores) never makes one, and the library
 * costs ~20 MiB of RSS (bench/README.md, "Where the memory goes"). Required, not `import()`ed,
 * so making a client stays synchronous for the stores that make one.
 */
function ioredis(): typeof IORedis {
  return (loaded ??= createRequire(import.meta.url)('ioredis') as typeof IORedis);
}

/** A client of the deployment's Redis: one server or Sentinel-managed master (`Redis`), or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * How a client is used, which decides how long its commands may wait:
 *
 * - `request`: on a request's path (rate limits, revocations, fallback and response caches). A
 *   command waits at most `redis.commandTimeoutMs` and is never retried (the next request tries
 *   again), so a slow or absent Redis costs a request that long at most and the store's fail
 *   mode decides.
 * - `channel`: fleet notices and their counters. Off the request path, so a slow Redis delays a
 *   notice, never a request: 2 s per command, one retry.
 * - `subscriber`: the fleet's subscribe connection, which only waits for messages.
 */
export type RedisClientRole = 'request' | 'channel' | 'subscriber';

export interface RedisClientOptions {
  role: RedisClientRole;
  /** Named in the log lines about this client's connection: 'rate limits', 'revocations', … */
  purpose: string;
  logger?: Logger | undefined;
  /**
   * Commands sent while the connection is being (re)made wait for it, up to the command
   * timeout, instead of failing at once. Revocation checks want this, so the first requests after
   * start-up wait briefly rather than meet the fail mode; a rate limiter does not, since its
   * fail mode answers at once.
   * @default false
   */
  queueWhileConnecting?: boolean;
}

/**
 * The one place Portico connects to Redis: every store (rate limits, revocations, fallback cache,
 * response cache, fleet pub/sub) gets its clients here, built from the root `redis` config, so
 * the topology it describes reaches each of them:
 *
 * - a standalone server: `url`;
 * - a Sentinel-managed master (`sentinel`): ioredis asks the sentinels where master `name` is and
 *   follows failovers; `failoverDetector` subscribes to the sentinels' `+switch-master`, so a
 *   client moves to the promoted replica as soon as the sentinels agree, not on its next error;
 * - a Cluster (`cluster`): the URL's host and `nodes` are seeds; ioredis discovers the rest and
 *   follows slot moves. Keys one script touches share a hash tag.
 *
 * Credentials, TLS (`rediss://`) and the database number always come from the URL. Reconnects
 * back off to one attempt a second, forever: shared state is back within a second of Redis
 * coming back, and a Redis that is down is not hammered. Connection errors are logged once per
 * outage, never per reconnect attempt, and never crash the process (ioredis ends it on an
 * `error` event nobody listens to).
 */
export function createRedisClient(config: RedisConfig, options: RedisClientOptions): RedisClient {
  const { Cluster, Redis } = ioredis();
  const url = new URL(config.url);
  const tls = url.protocol === 'rediss:';
  const reconnect = (attempt: number) => Math.min(50 * 2 ** attempt, 1_000);
  const perCommand: RedisOptions =
    options.role === 'request'
      ? { commandTimeout: config.commandTimeoutMs, maxRetriesPerRequest: 0 }
      : options.role === 'channel'
        ? { commandTimeout: 2_000, maxRetriesPerRequest: 1 }
        : {};
  const queue = options.role !== 'request' || options.queueWhileConnecting === true;
  const common: RedisOptions = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(tls ? { tls: {} } : {}),
    db: Number(url.pathname.slice(1)) || 0,
    connectTimeout: config.connectTimeoutMs,
    ...perCommand,
  };
  let client: RedisClient;
  if (config.cluster) {
    const seed = { host: hostOf(url), port: Number(url.port) || 6379 };
    const clusterOptions: ClusterOptions = {
      // A Cluster has only database 0.
      redisOptions: { ...common, db: 0 },
      scaleReads: 'master',
      enableOfflineQueue: queue,
      clusterRetryStrategy: reconnect,
      // Concurrent requests' commands go out in one write per node: fewer syscalls, same commands.
      enableAutoPipelining: options.role === 'request',
    };
    client = new Cluster([seed, ...config.cluster.nodes], clusterOptions);
  } else {
    const server: RedisOptions = config.sentinel
      ? {
          name: config.sentinel.name,
          sentinels: config.sentinel.sentinels,
          failoverDetector: true,
          sentinelRetryStrategy: reconnect,
          ...(tls ? { enableTLSForSentinelMode: true } : {}),
        }
      : { host: hostOf(url), port: Number(url.port) || 6379 };
    client = new Redis({
      ...common,
      ...server,
      enableOfflineQueue: queue,
      retryStrategy: reconnect,
      enableAutoPipelining: options.role === 'request',
    });
  }
  logConnection(client, config, options);
  return client;
}

/**
 * Resolves true once `client` is connected, or false after `timeoutMs`: start-up waits this long
 * so the first requests meet shared state, but a Redis that is down never keeps the gateway down.
 */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    client.on('ready', onReady);
  });
}

function logConnection(client: RedisClient, config: RedisConfig, options: RedisClientOptions): void {
  const { logger, purpose } = options;
  const redis = describe(config);
  let down = false;
  client.on('ready', () => {
    if (down) logger?.info({ redis, purpose }, 'redis: connected again');
    down = false;
  });
  const lost = (reason: string) => {
    if (down) return;
    down = true;
    logger?.warn({ redis, purpose, reason }, 'redis: connection lost; reconnecting');
  };
  client.on('error', (error: Error) => lost(error.message));
  // A Redis that restarts before the first reconnect attempt gives no error, only a close: the
  // outage is still one, and its end must still be logged.
  client.on('close', () => lost('connection closed'));
}

/** Where the client connects, for logs: the URL without its password, and the topology. */
function describe(config: RedisConfig): string {
  const topology = config.sentinel ? ` (sentinel master ${config.sentinel.name})` : config.cluster ? ' (cluster)' : '';
  try {
    const parsed = new URL(config.url);
    if (parsed.password) parsed.password = '***';
    return `${parsed.toString()}${topology}`;
  } catch {
    return `redis${topology}`;
  }
}

/** The URL's host as a socket wants it: an IPv6 address without the URL's brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
