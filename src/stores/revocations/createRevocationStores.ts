import { Redis } from 'ioredis';
import { createMemoryRevocationStore } from './memoryRevocationStore.js';
import { createRedisRevocationStore } from './redisRevocationStore.js';
import type { RevocationStore } from './revocationStore.js';

export interface RevocationRedisSettings {
  url: string;
  /** Prefix of every key Portico writes; revocations live under `<prefix>revoked:`. */
  keyPrefix: string;
  commandTimeoutMs: number;
  /** How long `ready()` waits for the first connection. @default 2000 */
  connectTimeoutMs?: number;
}

export interface RevocationStoresOptions {
  /** The deployment's shared Redis; absent means only the memory store exists. */
  redis?: RevocationRedisSettings | undefined;
  onRedisError?: (error: Error) => void;
}

/** The revocation stores of one process, shared by its BFFs, closed together on shutdown. */
export interface RevocationStores {
  /** 'redis' when the deployment has a Redis and `store` does not say otherwise, else 'memory'. */
  resolve(store: 'memory' | 'redis' | undefined): 'memory' | 'redis';
  /** The one store of that kind in this process. Throws for 'redis' without a Redis. */
  get(store: 'memory' | 'redis' | undefined): RevocationStore;
  /**
   * Resolves once the Redis store (if one was created) is connected, or after
   * `connectTimeoutMs`: serving before that would answer the first requests with 503 while the
   * connection is still being made. Never rejects; a Redis that is down is the store's to report.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A revocation is a fact about a token, not about one BFF, so the BFFs of a process share one
 * store of each kind: revoking a `jti` refuses it on web, mobile and partner at once. Stores are
 * created on first use, so a deployment without Redis never opens a connection.
 */
export function createRevocationStores(options: RevocationStoresOptions = {}): RevocationStores {
  const { redis } = options;
  let memory: RevocationStore | undefined;
  let shared: RevocationStore | undefined;
  let client: Redis | undefined;
  const kindOf = (store: 'memory' | 'redis' | undefined) => store ?? (redis ? 'redis' : 'memory');
  return {
    resolve: kindOf,
    get(store) {
      if (kindOf(store) === 'memory') return (memory ??= createMemoryRevocationStore());
      if (!redis) throw new Error('revocations.store is "redis" but the deployment has no Redis (root "redis" or REDIS_URL)');
      if (!shared) {
        client = redisClient(redis, options.onRedisError);
        shared = createRedisRevocationStore({ client, keyPrefix: `${redis.keyPrefix}revoked:`, ownsClient: true });
      }
      return shared;
    },
    async ready() {
      const pending = client;
      if (!pending || pending.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pending.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, redis?.connectTimeoutMs ?? 2_000);
        timer.unref();
        pending.once('ready', done);
      });
    },
    async close() {
      await Promise.all([memory?.close(), shared?.close()]);
      memory = undefined;
      shared = undefined;
      client = undefined;
    },
  };
}

function redisClient(settings: RevocationRedisSettings, onError = (_error: Error) => {}): Redis {
  const client = new Redis(settings.url, {
    // Every request waits on this check. The command timeout also covers commands queued while
    // the connection is (re)established, so the first requests after start-up wait for it briefly
    // instead of failing, and a Redis outage costs each request at most this long.
    commandTimeout: settings.commandTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    // Concurrent requests' EXISTS checks go out in one write: fewer syscalls, same one command each.
    enableAutoPipelining: true,
  });
  // ioredis reconnects on its own; an 'error' event without a listener would crash the process.
  client.on('error', onError);
  return client;
}
