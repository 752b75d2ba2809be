import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../../src/context/principal.js';
import { cacheKey, stableJson, type CacheKeyInput } from '../../../src/plugins/response-cache/cacheKey.js';
import { cacheHeaders } from '../../../src/plugins/response-cache/useResponseCache.js';

const alice: Principal = { kind: 'jwt', subject: 'u1', tenant: 't1', scopes: ['orders:read'], roles: [] };
const bob: Principal = { kind: 'jwt', subject: 'u2', tenant: 't1', scopes: ['orders:read'], roles: [] };
const base: CacheKeyInput = { bff: 'web', documentHash: 'd', operationName: 'Q', variables: { a: 1, b: [1, { c: 2, d: 3 }] }, scope: 'PRIVATE', principal: alice };

describe('the response cache key', () => {
  it('differs per principal for PRIVATE responses', () => {
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, principal: bob }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, principal: { ...alice, tenant: 't2' } }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, principal: { ...alice, kind: 'apiKey' } }));
  });

  it('ignores who asks for PUBLIC responses', () => {
    expect(cacheKey({ ...base, scope: 'PUBLIC' })).toBe(cacheKey({ ...base, scope: 'PUBLIC', principal: bob }));
    expect(cacheKey({ ...base, scope: 'PUBLIC' })).toBe(cacheKey({ ...base, scope: 'PUBLIC', principal: ANONYMOUS }));
  });

  it('has no key for PRIVATE data asked for anonymously', () => {
    expect(cacheKey({ ...base, principal: ANONYMOUS })).toBeUndefined();
  });

  it('ignores scopes and roles, which do not change whose data it is', () => {
    expect(cacheKey(base)).toBe(cacheKey({ ...base, principal: { ...alice, scopes: [], roles: ['admin'] } }));
  });

  it('differs per BFF, document, operation and variables, not per variable order', () => {
    const key = cacheKey(base);
    for (const change of [{ bff: 'mobile' }, { documentHash: 'e' }, { operationName: 'R' }, { variables: { a: 2, b: [1, { c: 2, d: 3 }] } }]) {
      expect(cacheKey({ ...base, ...change })).not.toBe(key);
    }
    expect(cacheKey({ ...base, variables: { b: [1, { d: 3, c: 2 }], a: 1 } })).toBe(key);
  });

  it('cannot be confused by separators inside values', () => {
    expect(cacheKey({ ...base, principal: { ...alice, subject: 'u1","t1' } })).not.toBe(cacheKey(base));
    expect(stableJson({ a: undefined, b: null })).toBe('{"b":null}');
  });
});

describe('the cache headers', () => {
  it('say public or private with the shortest max-age, and the age of a cached answer', () => {
    expect(cacheHeaders([{ policy: { maxAge: 60, scope: 'PUBLIC' } }], 200)).toEqual({ 'cache-control': 'public, max-age=60' });
    expect(cacheHeaders([{ policy: { maxAge: 60, scope: 'PUBLIC' }, ageMs: 12_900 }, { policy: { maxAge: 30, scope: 'PRIVATE' } }], 200)).toEqual({
      'cache-control': 'private, max-age=30',
      age: '12',
    });
  });

  it('say private for PUBLIC data answered to a caller with credentials, whom a CDN cannot tell apart', () => {
    expect(cacheHeaders([{ policy: { maxAge: 60, scope: 'PUBLIC' }, credentialed: true }], 200)).toEqual({ 'cache-control': 'private, max-age=60' });
  });

  it('say no-store for anything uncacheable or failed', () => {
    expect(cacheHeaders([{}], 200)).toEqual({ 'cache-control': 'no-store' });
    expect(cacheHeaders([{ policy: { maxAge: 60, scope: 'PUBLIC' } }, {}], 200)).toEqual({ 'cache-control': 'no-store' });
    expect(cacheHeaders([{ policy: { maxAge: 60, scope: 'PUBLIC' } }], 400)).toEqual({ 'cache-control': 'no-store' });
  });
});
