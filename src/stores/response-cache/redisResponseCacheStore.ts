import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CachedResponse, ResponseCacheStore } from './responseCacheStore.js';
import { storeFailureLog } from '../redis/storeFailureLog.js';

export interface RedisResponseCacheStoreOptions {
  /** A client without `keyPrefix` (the store prefixes its own keys); closed by the owner. */
  client: Redis | Cluster;
  /**
   * Prefix of every key, e.g. `portico:rc:`. On a Cluster it should hold a hash tag
   * (`portico:{rc}:`): the scripts touch an entry, its index sets and their members together,
   * which Cluster only allows within one slot.
   */
  keyPrefix: string;
  /** How long an invalidation is remembered (at least the longest a request can run). */
  invalidationMemoryMs: number;
  logger?: Logger;
}

// Atomic, so an entry and its index entries appear together, and a write checks the
// invalidation marks and writes in one step (no mutation can slip in between).
// KEYS: entry, then n invalidation marks, then the n index sets. ARGV: value, ttlMs, startedAt.
const SET_SCRIPT = `
local n = (#KEYS - 1) / 2
for i = 1, n do
  local mark = redis.call('GET', KEYS[1 + i])
  if mark and tonumber(mark) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 1, n do
  local index = KEYS[1 + n + i]
  redis.call('SADD', index, KEYS[1])
  -- An index lives as long as the longest-lived entry it names.
  if redis.call('PTTL', index) < tonumber(ARGV[2]) then redis.call('PEXPIRE', index, ARGV[2]) end
end
return 1
`;

// KEYS: n index sets, then their n invalidation marks. ARGV: at, markTtlMs.
const INVALIDATE_SCRIPT = `
local n = #KEYS / 2
local purged = 0
for i = 1, n do
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    purged = purged + redis.call('UNLINK', key)
  end
  redis.call('UNLINK', KEYS[i])
  local mark = redis.call('GET', KEYS[n + i])
  if not mark or tonumber(mark) < tonumber(ARGV[1]) then
    redis.call('SET', KEYS[n + i], ARGV[1], 'PX', ARGV[2])
  end
end
return purged
`;

/**
 * Responses in Redis, shared by every gateway instance: `<prefix>r:<key>` holds the response,
 * `<prefix>i:<entity>` the set of response keys holding the entity, `<prefix>x:<entity>` the last
 * time it was invalidated. Invalidation times come from the gateways' clocks: instances whose
 * clocks disagree by more than a query's duration may, rarely, keep a response a mutation should
 * have purged, until its max-age ends.
 *
 * A Redis that is down or slow never fails a request: a read is a miss, a write or purge is
 * skipped, and the failure is logged (once a second at most).
 */
export function createRedisResponseCacheStore(options: RedisResponseCacheStoreOptions): ResponseCacheStore {
  const { client, keyPrefix, invalidationMemoryMs, logger } = options;
  const entryKey = (key: string) => `${keyPrefix}r:${key}`;
  const indexKey = (entity: string) => `${keyPrefix}i:${entity}`;
  const markKey = (entity: string) => `${keyPrefix}x:${entity}`;
  const report = storeFailureLog(logger, 'response cache (redis) unavailable: serving without it');

  return {
    async get(key) {
      try {
        const text = await client.get(entryKey(key));
        return text === null ? undefined : (JSON.parse(text) as CachedResponse);
      } catch (error) {
        report(error, 'get');
        return undefined;
      }
    },
    async set(key, value, { ttlMs, entities, startedAt }) {
      const keys = [entryKey(key), ...entities.map(markKey), ...entities.map(indexKey)];
      try {
        const stored = await client.eval(SET_SCRIPT, keys.length, ...keys, JSON.stringify(value), Math.max(1, Math.ceil(ttlMs)), startedAt);
        return stored === 1;
      } catch (error) {
        report(error, 'set');
        return false;
      }
    },
    async invalidate(entities, at) {
      if (entities.length === 0) return 0;
      const keys = [...entities.map(indexKey), ...entities.map(markKey)];
      try {
        return Number(await client.eval(INVALIDATE_SCRIPT, keys.length, ...keys, at, invalidationMemoryMs));
      } catch (error) {
        report(error, 'invalidate');
        return 0;
      }
    },
    async close() {},
  };
}
