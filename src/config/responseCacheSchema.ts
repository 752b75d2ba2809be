import { z } from 'zod';

// The response cache: per BFF, whether and how whole query responses are cached
// (`responseCache` in bffs/<name>/bff.config.ts, applied by src/plugins/response-cache/
// useResponseCache.ts); per deployment, where they are kept (root `responseCache`).
// docs/response-cache.md explains the policy (@cacheControl), the key and invalidation.

const fieldName = z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, { error: 'expected a field name' });

export const bffResponseCacheSchema = z
  .strictObject({
    /**
     * Answer queries whose every field allows it (`@cacheControl` in the SDL) from the cache.
     * @default false: a cached answer is up to max-age old by design; the team owning the
     * client opts in, knowing its screens.
     */
    enabled: z.boolean().default(false),
    /**
     * max-age of root fields and of fields returning objects that have no `@cacheControl` hint
     * (fields returning scalars inherit their parent's).
     * @default 0: as Apollo's; data nobody declared cacheable is never cached.
     */
    defaultMaxAge: z.number().int().min(0).default(0),
    /**
     * The field that identifies an entity, so that a mutation returning it purges the cached
     * responses holding it (with the entity's `__typename`). @default ['id']
     */
    idFields: z.array(fieldName).min(1).default(['id']),
  })
  .prefault({});

export const responseCacheStoreSchema = z
  .strictObject({
    /**
     * `auto`: Redis when the deployment has one (root `redis` or REDIS_URL), so a fleet shares
     * entries and a mutation through any instance purges them everywhere; else this process's memory.
     * @default 'auto'
     */
    store: z.enum(['auto', 'memory', 'redis']).default('auto'),
    /**
     * Memory store only: bytes of cached responses this process keeps (least recently used go
     * first). @default 33554432 (32 MiB): tens of thousands of typical page responses, a small
     * share of a gateway's heap.
     */
    maxBytes: z.number().int().positive().default(32 * 1024 * 1024),
  })
  .prefault({});

export type BffResponseCacheConfig = z.output<typeof bffResponseCacheSchema>;
export type ResponseCacheStoreConfig = z.output<typeof responseCacheStoreSchema>;
