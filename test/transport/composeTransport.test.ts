import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { composeTransport, createSourceTransport, type SourceTransport } from '../../src/transport/composeTransport.js';
import type { HttpDecorator } from '../../src/transport/upstreamFailure.js';
import { createMemoryFallbackStore } from '../../src/stores/fallback/memoryFallbackStore.js';
import { manualClock, read, startTestUpstream, testScope, type TestUpstream } from './testUpstream.js';

let upstream: TestUpstream;
let transport: SourceTransport | undefined;
beforeAll(async () => {
  upstream = await startTestUpstream();
});
afterAll(() => upstream[Symbol.asyncDispose]());
beforeEach(() => {
  upstream.seen.length = 0;
});
afterEach(() => transport?.breaker.shutdown());

function build(options: { volumeThreshold: number; maxRetries: number; fallback?: boolean; breaker?: boolean; now?: () => number }) {
  transport = createSourceTransport({
    source: 'inventory',
    http: upstream.http.call,
    store: createMemoryFallbackStore({ maxBytes: 100_000 }),
    resilience: {
      timeoutMs: 2_000,
      breaker: { enabled: options.breaker ?? true, errorThresholdPercentage: 50, volumeThreshold: options.volumeThreshold, resetTimeoutMs: 60_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10 },
      retry: { maxRetries: options.maxRetries, baseDelayMs: 0, maxDelayMs: 0, budgetRatio: 1, budgetMin: 100, budgetWindowMs: 10_000 },
      fallback: { enabled: options.fallback ?? false, ttlMs: 60_000 },
    },
    ...(options.now ? { now: options.now } : {}),
  });
  return transport.call;
}

describe('the composed transport', () => {
  it('applies layers with the first one outermost and refuses a layer that is not a function', async () => {
    const order: string[] = [];
    const tag = (name: string): HttpDecorator => (next) => (request) => {
      order.push(name);
      return next(request);
    };
    upstream.behave({ status: 200 });
    await composeTransport(upstream.http.call, [tag('outer'), false, tag('inner')])(read(upstream, '/x'));
    expect(order).toEqual(['outer', 'inner']);
    expect(() => composeTransport(upstream.http.call, [42 as unknown as HttpDecorator])).toThrow(TypeError);
  });

  it('lets the breaker count every retry, and stops retrying as soon as the breaker opens', async () => {
    const call = build({ volumeThreshold: 2, maxRetries: 5 });
    upstream.behave({ status: 500 });
    await expect(call(read(upstream, '/stock/p1', testScope()))).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    expect(transport!.breaker.state()).toBe('open');
    // Two attempts opened the breaker; the third retry was refused without reaching the upstream.
    expect(upstream.seen).toHaveLength(2);
  });

  it('with the breaker switched off (`portico serve --no-breaker`), sends every attempt to a failing upstream', async () => {
    const call = build({ volumeThreshold: 2, maxRetries: 5, breaker: false });
    upstream.behave({ status: 500 });
    const response = await call(read(upstream, '/stock/p1', testScope()));
    expect(response.status).toBe(500);
    // The first attempt and all five retries: nothing refused them.
    expect(upstream.seen).toHaveLength(6);
    expect(transport!.breaker.state()).toBe('closed');
  });

  it('hands a 5xx back to the source as the response when nothing could answer instead', async () => {
    const call = build({ volumeThreshold: 100, maxRetries: 0 });
    upstream.behave({ status: 502, body: { errors: [{ message: 'bad gateway' }] } });
    const response = await call(read(upstream, '/stock/p1', testScope()));
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toEqual({ errors: [{ message: 'bad gateway' }] });
  });

  it('does not count calls refused for a spent request budget against the source, yet answers them from the fallback cache', async () => {
    const clock = manualClock();
    const call = build({ volumeThreshold: 1, maxRetries: 0, fallback: true, now: clock.now });
    upstream.behave({ status: 200, body: { available: 3 } });
    await call(read(upstream, '/stock/p1', testScope()));
    const scope = testScope({ deadline: clock.now() - 1 });
    for (let i = 0; i < 5; i++) expect((await call(read(upstream, '/stock/p1', scope))).status).toBe(200);
    await expect(call(read(upstream, '/stock/p2', scope))).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT' } });
    expect(transport!.breaker.state()).toBe('closed');
    expect(scope.stale).toEqual([{ source: 'inventory', ageMs: 0 }]);
    expect(upstream.seen).toHaveLength(1);
  });
});
