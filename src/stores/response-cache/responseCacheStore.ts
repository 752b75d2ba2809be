/** One cached response: the `data` of a query result, serialised, and when it was stored. */
export interface CachedResponse {
  /** JSON of the result's `data` (errors and extensions are never cached). */
  data: string;
  /** Epoch ms when it was stored; the client is told the response's age from it. */
  storedAt: number;
}

export interface StoreOptions {
  /** How long the entry may be served. */
  ttlMs: number;
  /** Entities (`Type:id`) in the response: a mutation returning one of them purges the entry. */
  entities: readonly string[];
  /**
   * Epoch ms when the request that produced the response started. If one of its entities was
   * invalidated since, the response may predate the mutation and is not stored.
   */
  startedAt: number;
}

/**
 * Where whole responses are kept: this process's memory, or Redis so a fleet shares entries and
 * a mutation through any instance purges them everywhere. The store keeps an index from entity to
 * the entries holding it, and a short-lived mark of each invalidation (so a query that read the
 * old data before a mutation cannot store it after).
 *
 * A cache must never fail a request: implementations swallow their own errors, so a broken store
 * is a miss, a skipped write or a skipped purge (logged).
 */
export interface ResponseCacheStore {
  get(key: string): Promise<CachedResponse | undefined>;
  /** Resolves false when the write was skipped (an entity was invalidated after `startedAt`, or the store failed). */
  set(key: string, value: CachedResponse, options: StoreOptions): Promise<boolean>;
  /** Purges every entry holding one of `entities` and marks them invalidated at `at` (epoch ms). Resolves to the entries purged. */
  invalidate(entities: readonly string[], at: number): Promise<number>;
  close(): Promise<void>;
}
