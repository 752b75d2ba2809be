import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema } from '../../src/config/schema.js';
import type { LoadedSource } from '../../src/config/loadConfig.js';
import { createSourceTransports } from '../../src/transport/createSourceTransports.js';
import { read, startTestUpstream, testScope, type TestUpstream } from './testUpstream.js';

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startTestUpstream();
});
afterAll(() => upstream[Symbol.asyncDispose]());

function source(name: string, input: Record<string, unknown>): LoadedSource {
  return { ...sourceSchema.parse(input), name, file: 'test/sources.ts' };
}

describe('the source transports', () => {
  it('gives every source, and every subgraph of a federation source, its own breaker, shared by every caller', async () => {
    const transports = createSourceTransports({
      sources: {
        products: source('products', { kind: 'rest', baseUrl: upstream.baseUrl, schema: 'x' }),
        shop: source('shop', { kind: 'federation', subgraphs: [{ name: 'a', url: `${upstream.baseUrl}/a`, schema: 'a' }, { name: 'b', url: `${upstream.baseUrl}/b`, schema: 'b' }] }),
      },
      http: upstream.http.call,
      logger: pino({ level: 'silent' }),
    });
    try {
      expect(transports.httpFor('products')).toBe(transports.httpFor('products'));
      transports.httpFor('shop/a');
      transports.httpFor('shop/b');
      expect(transports.health()).toEqual({ products: { breaker: 'closed' }, 'shop/a': { breaker: 'closed' }, 'shop/b': { breaker: 'closed' } });
      expect(Object.keys(transports.health(['shop']))).toEqual(['shop/a', 'shop/b']);
      upstream.behave({ status: 200 });
      expect((await transports.httpFor('products')(read(upstream, '/products/p1', testScope()))).status).toBe(200);
    } finally {
      await transports.close();
    }
  });

  it('opens a breaker from a failed active health check, before any user call finds the source down', async () => {
    upstream.behave({ drop: true });
    upstream.seen.length = 0;
    const logs: Record<string, unknown>[] = [];
    const transports = createSourceTransports({
      sources: {
        inventory: source('inventory', { kind: 'rest', baseUrl: upstream.baseUrl, schema: 'x', resilience: { healthCheck: { intervalMs: 50, path: '/health' } } }),
      },
      http: upstream.http.call,
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    try {
      const opened = new Promise<void>((resolve) => transports.onStateChange((name, state) => name === 'inventory' && state === 'open' && resolve()));
      transports.httpFor('inventory');
      await opened;
      expect(upstream.seen.every((request) => request.url === '/health')).toBe(true);
      expect(logs.find((line) => line.msg === 'active health check failed: opening the circuit breaker')).toMatchObject({ source: 'inventory', level: 40 });
    } finally {
      await transports.close();
    }
  });

  it('refuses a REST health check without a path', () => {
    const transports = createSourceTransports({
      sources: { inventory: source('inventory', { kind: 'rest', baseUrl: upstream.baseUrl, schema: 'x', resilience: { healthCheck: { intervalMs: 50 } } }) },
      http: upstream.http.call,
      logger: pino({ level: 'silent' }),
    });
    expect(() => transports.httpFor('inventory')).toThrow(/healthCheck\.path is required/);
    return transports.close();
  });
});

describe('resilience config', () => {
  it('fills every default and refuses a misspelt key', () => {
    const parsed = sourceSchema.parse({ kind: 'graphql', url: 'http://users/graphql', schema: 'users.graphql' });
    expect(parsed.resilience).toEqual({
      timeoutMs: 5_000,
      breaker: { enabled: true, errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeoutMs: 10_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10 },
      retry: { maxRetries: 2, baseDelayMs: 25, maxDelayMs: 250, budgetRatio: 0.1, budgetMin: 10, budgetWindowMs: 10_000 },
      fallback: { enabled: true, ttlMs: 300_000, maxBytes: 8 * 1024 * 1024 },
    });
    const typo = sourceSchema.safeParse({ kind: 'graphql', url: 'http://users/graphql', schema: 's', resilience: { breaker: { resetTimeout: 5 } } });
    expect(typo.success).toBe(false);
    expect(typo.error!.issues[0]).toMatchObject({ path: ['resilience', 'breaker'], code: 'unrecognized_keys', keys: ['resetTimeout'] });
  });
});
