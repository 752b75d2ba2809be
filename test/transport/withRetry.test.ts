import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createSourceTransport, type SourceResilienceOptions, type SourceTransport } from '../../src/transport/composeTransport.js';
import { transportMetrics } from '../../src/transport/transportMetrics.js';
import { read, startTestUpstream, testScope, write, type TestUpstream } from './testUpstream.js';

let upstream: TestUpstream;
let transport: SourceTransport | undefined;
let delays: number[];
beforeAll(async () => {
  upstream = await startTestUpstream();
});
afterAll(() => upstream[Symbol.asyncDispose]());
beforeEach(() => {
  upstream.seen.length = 0;
  delays = [];
});
afterEach(() => transport?.breaker.shutdown());

function transportWith(retry: Partial<SourceResilienceOptions['retry']> = {}, extra: { timeoutMs?: number; registry?: Registry } = {}) {
  transport = createSourceTransport({
    source: 'test',
    http: upstream.http.call,
    resilience: {
      timeoutMs: extra.timeoutMs ?? 2_000,
      // The breaker never opens here: these tests are about retries alone.
      breaker: { errorThresholdPercentage: 100, volumeThreshold: 1_000, resetTimeoutMs: 10_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10 },
      retry: { maxRetries: 2, baseDelayMs: 25, maxDelayMs: 250, budgetRatio: 0.1, budgetMin: 10, budgetWindowMs: 10_000, ...retry },
      fallback: { enabled: false, ttlMs: 1 },
    },
    random: () => 0.5,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...(extra.registry ? { metrics: transportMetrics(extra.registry) } : {}),
  });
  return transport.call;
}

describe('retries', () => {
  it('never retries a mutation, whatever the failure', async () => {
    const call = transportWith();
    upstream.behave({ status: 503 });
    expect((await call(write(upstream, '/graphql', testScope()))).status).toBe(503);
    upstream.behave({ drop: true });
    await expect(call(write(upstream, '/graphql', testScope()))).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    expect(upstream.seen).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it('retries a read after a 5xx up to maxRetries, with full-jitter backoff, and returns the last answer', async () => {
    const call = transportWith();
    upstream.behave({ status: 503 });
    expect((await call(read(upstream, '/p', testScope()))).status).toBe(503);
    expect(upstream.seen).toHaveLength(3);
    expect(delays).toEqual([12, 25]);
  });

  it('retries a read whose connection was dropped, and succeeds when the upstream recovers', async () => {
    const call = transportWith({ maxRetries: 1 });
    upstream.behave({ drop: true });
    const pending = call(read(upstream, '/p', testScope()));
    await upstream.arrived(1);
    upstream.behave({ status: 200, body: { id: 'p1' } });
    const response = await pending;
    expect(response.status).toBe(200);
    expect(upstream.seen).toHaveLength(2);
  });

  // Each test counts the calls to its own paths: on a loaded machine a request a previous test
  // gave up on can reach the server after that test ended.
  const callsTo = (path: string) => upstream.seen.filter((seen) => seen.url === path).length;

  it('does not retry a 4xx answer or a timed-out call', async () => {
    upstream.behave({ status: 404 });
    expect((await transportWith()(read(upstream, '/missing', testScope()))).status).toBe(404);
    expect(callsTo('/missing')).toBe(1);
    transport?.breaker.shutdown();
    const call = transportWith({}, { timeoutMs: 50 });
    upstream.behave({ hang: true });
    await expect(call(read(upstream, '/slow', testScope()))).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT' } });
    expect(delays).toEqual([]);
    await vi.waitFor(() => expect(callsTo('/slow')).toBe(1));
  });

  it('does not retry when the backoff would end after the deadline', async () => {
    const call = transportWith({ baseDelayMs: 5_000, maxDelayMs: 5_000 }, { timeoutMs: 1_000 });
    upstream.behave({ status: 500 });
    expect((await call(read(upstream, '/backoff', testScope()))).status).toBe(500);
    expect(callsTo('/backoff')).toBe(1);
    expect(delays).toEqual([]);
  });

  it('stops retrying once the source retry budget is spent: 20 failing reads cost the upstream 24 calls, not 60', async () => {
    const registry = new Registry();
    const call = transportWith({ budgetMin: 2, budgetRatio: 0.1 }, { registry });
    upstream.behave({ status: 500 });
    for (let i = 0; i < 20; i++) expect((await call(read(upstream, `/p${i}`, testScope()))).status).toBe(500);
    // Allowed: 2 + 0.1 × 20 = 4 retries over the window.
    expect(upstream.seen).toHaveLength(24);
    const text = await registry.metrics();
    expect(text).toContain('portico_source_retries_total{source="test"} 4');
    expect(text).toContain('portico_source_retries_denied_total{source="test",reason="budget"} 19');
  });
});
