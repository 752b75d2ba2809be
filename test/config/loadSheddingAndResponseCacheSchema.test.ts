import { describe, expect, it } from 'vitest';
import { loadSheddingSchema } from '../../src/config/loadSheddingSchema.js';
import { bffResponseCacheSchema, responseCacheStoreSchema } from '../../src/config/responseCacheSchema.js';

describe('the loadShedding config', () => {
  it('is on with documented defaults when absent', () => {
    expect(loadSheddingSchema.parse(undefined)).toEqual({
      enabled: true,
      maxConcurrent: 512,
      shares: { normal: 0.9, bestEffort: 0.5 },
      maxQueue: 256,
      queueTimeoutMs: 1000,
      retryAfterSeconds: 1,
      defaultPriority: 'normal',
      operations: {},
    });
  });

  it('refuses a best-effort share above the normal one', () => {
    const result = loadSheddingSchema.safeParse({ shares: { normal: 0.5, bestEffort: 0.8 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['shares', 'bestEffort']);
  });

  it('refuses an unknown priority and a misspelt key', () => {
    expect(loadSheddingSchema.safeParse({ operations: { Checkout: 'urgent' } }).success).toBe(false);
    expect(loadSheddingSchema.safeParse({ maxConcurency: 10 }).success).toBe(false);
  });
});

describe('the responseCache config', () => {
  it('is off per BFF and automatic per deployment when absent', () => {
    expect(bffResponseCacheSchema.parse(undefined)).toEqual({ enabled: false, defaultMaxAge: 0, idFields: ['id'] });
    expect(responseCacheStoreSchema.parse(undefined)).toEqual({ store: 'auto', maxBytes: 32 * 1024 * 1024 });
  });

  it('has no option to key PRIVATE entries without the principal', () => {
    expect(bffResponseCacheSchema.safeParse({ enabled: true, privateKey: 'none' }).success).toBe(false);
  });
});
