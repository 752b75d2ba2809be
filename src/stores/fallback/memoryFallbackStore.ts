import { LRUCache } from 'lru-cache';
import type { CachedResponse, FallbackStore } from './fallbackStore.js';

export interface MemoryFallbackStoreOptions {
  /** Bytes of keys and bodies kept; least recently used entries go first. */
  maxBytes: number;
}

/**
 * One source's fallback responses in process memory, bounded by bytes (an LRU), so a source with
 * big responses cannot crowd out the heap and a burst of distinct queries evicts the oldest.
 * Expiry is checked by the caller on read; lru-cache's TTL only frees memory sooner.
 */
export function createMemoryFallbackStore(options: MemoryFallbackStoreOptions): FallbackStore {
  const cache = new LRUCache<string, CachedResponse>({
    maxSize: options.maxBytes,
    // UTF-16 strings: two bytes a character is the honest upper bound.
    sizeCalculation: (value, key) => 2 * (key.length + value.body.length) + 64,
  });
  return {
    get: (key) => Promise.resolve(cache.get(key)),
    set(key, value, ttlMs) {
      cache.set(key, value, { ttl: ttlMs });
      return Promise.resolve();
    },
    close() {
      cache.clear();
      return Promise.resolve();
    },
  };
}
