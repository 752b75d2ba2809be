import { LRUCache } from 'lru-cache';
import type { CachedResponse, ResponseCacheStore } from './responseCacheStore.js';

export interface MemoryResponseCacheStoreOptions {
  /** Bytes of keys and responses kept; least recently used entries go first. */
  maxBytes: number;
  /**
   * How long an invalidation is remembered: at least the longest a request can run, since a
   * query older than the mark is what the mark guards against.
   */
  invalidationMemoryMs: number;
  /** Invalidation marks kept at most. @default 100000 */
  maxInvalidations?: number;
}

interface Entry {
  value: CachedResponse;
  entities: readonly string[];
}

/**
 * Responses in this process's memory: an LRU bounded by bytes, an index from entity to the keys
 * holding it (kept exact as entries are evicted), and the recent invalidations.
 */
export function createMemoryResponseCacheStore(options: MemoryResponseCacheStoreOptions): ResponseCacheStore {
  const index = new Map<string, Set<string>>();
  const unindex = (key: string, entities: readonly string[]) => {
    for (const entity of entities) {
      const keys = index.get(entity);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) index.delete(entity);
    }
  };
  const entries = new LRUCache<string, Entry>({
    maxSize: options.maxBytes,
    // UTF-16 strings: two bytes a character is the honest upper bound.
    sizeCalculation: (entry, key) => 2 * (key.length + entry.value.data.length) + 64 * (1 + entry.entities.length),
    // Evicted, expired, replaced or deleted: the index must not point at it any more.
    dispose: (entry, key) => unindex(key, entry.entities),
  });
  const invalidations = new LRUCache<string, number>({
    max: options.maxInvalidations ?? 100_000,
    ttl: options.invalidationMemoryMs,
  });

  return {
    get(key) {
      return Promise.resolve(entries.get(key)?.value);
    },
    set(key, value, { ttlMs, entities, startedAt }) {
      for (const entity of entities) {
        const invalidatedAt = invalidations.get(entity);
        if (invalidatedAt !== undefined && invalidatedAt >= startedAt) return Promise.resolve(false);
      }
      entries.set(key, { value, entities }, { ttl: ttlMs });
      // lru-cache refuses an entry bigger than maxSize; then there is nothing to index.
      if (!entries.has(key)) return Promise.resolve(false);
      for (const entity of entities) {
        let keys = index.get(entity);
        if (!keys) index.set(entity, (keys = new Set()));
        keys.add(key);
      }
      return Promise.resolve(true);
    },
    invalidate(entities, at) {
      let purged = 0;
      for (const entity of entities) {
        for (const key of [...(index.get(entity) ?? [])]) if (entries.delete(key)) purged++;
        index.delete(entity);
        invalidations.set(entity, Math.max(at, invalidations.get(entity) ?? at));
      }
      return Promise.resolve(purged);
    },
    close() {
      entries.clear();
      invalidations.clear();
      index.clear();
      return Promise.resolve();
    },
  };
}
