import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { composeTransport } from '../../src/transport/composeTransport.js';
import { transportMetrics } from '../../src/transport/transportMetrics.js';
import { UpstreamStatusError, wasNotSent } from '../../src/transport/upstreamFailure.js';
import { withBreaker, type BreakerState, type SourceBreaker } from '../../src/transport/withBreaker.js';
import { deferred, read, startTestUpstream, testScope, type TestUpstream } from './testUpstream.js';

let upstream: TestUpstream;
let breaker: SourceBreaker;
beforeAll(async () => {
  upstream = await startTestUpstream();
});
afterAll(() => upstream[Symbol.asyncDispose]());
beforeEach(() => {
  upstream.seen.length = 0;
  upstream.behave({ status: 200 });
});
afterEach(() => breaker?.shutdown());

function breakerWith(overrides: Partial<Parameters<typeof withBreaker>[0]> = {}) {
  breaker = withBreaker({
    source: 'test',
    errorThresholdPercentage: 50,
    volumeThreshold: 4,
    resetTimeoutMs: 60_000,
    rollingCountTimeoutMs: 10_000,
    rollingCountBuckets: 10,
    ...overrides,
  });
  return composeTransport(upstream.http.call, [breaker.decorate]);
}

function nextState(target: BreakerState): Promise<void> {
  const reached = deferred();
  const stop = breaker.onStateChange((state) => {
    if (state === target) {
      stop();
      reached.resolve();
    }
  });
  return reached.promise;
}

describe('the circuit breaker', () => {
  it('opens once the error rate passes the threshold over the minimum volume, then refuses calls without reaching the upstream', async () => {
    const call = breakerWith();
    upstream.behave({ status: 500 });
    for (let i = 0; i < 3; i++) await expect(call(read(upstream, '/x'))).rejects.toBeInstanceOf(UpstreamStatusError);
    expect(breaker.state()).toBe('closed');
    await expect(call(read(upstream, '/x'))).rejects.toBeInstanceOf(UpstreamStatusError);
    expect(breaker.state()).toBe('open');

    upstream.behave({ status: 200 });
    for (let i = 0; i < 5; i++) {
      const refused = await call(read(upstream, '/x')).catch((error: unknown) => error);
      expect(refused).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', source: 'test' } });
      expect(wasNotSent(refused)).toBe(true);
    }
    expect(upstream.seen).toHaveLength(4);
  });

  it('counts dropped connections as failures', async () => {
    const call = breakerWith({ volumeThreshold: 2 });
    upstream.behave({ drop: true });
    for (let i = 0; i < 2; i++) await expect(call(read(upstream, '/x'))).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    expect(breaker.state()).toBe('open');
  });

  it('never trips on 4xx answers or GraphQL errors inside a 200', async () => {
    const call = breakerWith({ volumeThreshold: 2 });
    upstream.behave({ status: 404 });
    for (let i = 0; i < 5; i++) expect((await call(read(upstream, '/missing'))).status).toBe(404);
    upstream.behave({ status: 400, body: { errors: [{ message: 'Cannot query field "nope"' }] } });
    for (let i = 0; i < 5; i++) expect((await call(read(upstream, '/graphql'))).status).toBe(400);
    upstream.behave({ status: 200, body: { data: null, errors: [{ message: 'boom' }] } });
    for (let i = 0; i < 5; i++) expect((await call(read(upstream, '/graphql'))).status).toBe(200);
    expect(breaker.state()).toBe('closed');
  });

  it('ignores calls the caller abandoned: a client hanging up says nothing about the upstream', async () => {
    const call = breakerWith({ volumeThreshold: 2 });
    upstream.behave({ hang: true });
    for (let i = 0; i < 4; i++) {
      const client = new AbortController();
      const pending = call({ ...read(upstream, '/x'), signal: client.signal });
      await upstream.arrived(i + 1);
      client.abort();
      await expect(pending).rejects.toBeDefined();
    }
    expect(breaker.state()).toBe('closed');
  });

  it('after resetTimeout lets exactly one probe through, and closes when it succeeds', async () => {
    const call = breakerWith({ volumeThreshold: 1, resetTimeoutMs: 20 });
    upstream.behave({ status: 503 });
    const halfOpen = nextState('half_open');
    await expect(call(read(upstream, '/x'))).rejects.toBeInstanceOf(UpstreamStatusError);
    expect(breaker.state()).toBe('open');
    await halfOpen;

    upstream.behave({ hang: true });
    const client = new AbortController();
    const probe = call({ ...read(upstream, '/probe'), signal: client.signal });
    await upstream.arrived(2);
    // While the probe is out, everyone else is still refused.
    expect(wasNotSent(await call(read(upstream, '/other')).catch((error: unknown) => error))).toBe(true);
    expect(upstream.seen).toHaveLength(2);

    // An abandoned probe proves nothing: the breaker opens again rather than closing.
    const reopened = nextState('open');
    client.abort();
    await expect(probe).rejects.toBeDefined();
    await reopened;

    const halfOpenAgain = nextState('half_open');
    await halfOpenAgain;
    upstream.behave({ status: 200 });
    const closed = nextState('closed');
    expect((await call(read(upstream, '/probe'))).status).toBe(200);
    await closed;
    expect(breaker.state()).toBe('closed');
  });

  it('exports its state, calls, failures and latency per source', async () => {
    const registry = new Registry();
    const metrics = transportMetrics(registry);
    const call = breakerWith({ source: 'metered', volumeThreshold: 2, metrics });
    await call(read(upstream, '/ok', testScope()));
    upstream.behave({ status: 502 });
    for (let i = 0; i < 2; i++) await call(read(upstream, '/x')).catch(() => undefined);
    await call(read(upstream, '/x')).catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toContain('portico_source_breaker_state{source="metered",state="open"} 1');
    expect(text).toContain('portico_source_breaker_state{source="metered",state="closed"} 0');
    expect(text).toContain('portico_source_calls_total{source="metered",outcome="success"} 1');
    expect(text).toContain('portico_source_calls_total{source="metered",outcome="error"} 2');
    expect(text).toContain('portico_source_calls_total{source="metered",outcome="rejected"} 1');
    expect(text).toContain('portico_source_failures_total{source="metered",kind="error"} 2');
    expect(text).toContain('portico_source_breaker_transitions_total{source="metered",to="open"} 1');
    expect(text).toMatch(/portico_source_call_duration_seconds_count\{source="metered",outcome="error"\} 2/);
  });

  it('hands the state series to the breaker that replaces it (config reload): the old one neither overwrites nor removes it', async () => {
    const registry = new Registry();
    const metrics = transportMetrics(registry);
    const old = withBreaker({ source: 'reloaded', errorThresholdPercentage: 50, volumeThreshold: 1, resetTimeoutMs: 60_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10, metrics });
    const replacement = withBreaker({ source: 'reloaded', errorThresholdPercentage: 50, volumeThreshold: 1, resetTimeoutMs: 60_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10, metrics });
    try {
      old.trip();
      expect(old.state()).toBe('open');
      old.shutdown();
      const text = await registry.metrics();
      expect(text).toContain('portico_source_breaker_state{source="reloaded",state="closed"} 1');
      expect(text).toContain('portico_source_breaker_state{source="reloaded",state="open"} 0');
    } finally {
      replacement.shutdown();
    }
    expect(await registry.metrics()).not.toContain('portico_source_breaker_state{source="reloaded"');
  });
});
