import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasPorticoCode } from '../../src/errors/index.js';
import { trafficSchema } from '../../src/config/trafficSchema.js';
import type { RequestScope } from '../../src/context/requestScope.js';
import type { UpstreamAttempt } from '../../src/context/upstreamObserver.js';
import { createSourceTransport, type SourceTransport } from '../../src/transport/composeTransport.js';
import { createHttpClient, type HttpClient, type UpstreamRequest, type UpstreamResponse } from '../../src/transport/httpClient.js';
import { transportMetrics, type TransportMetrics } from '../../src/transport/transportMetrics.js';
import { createVersionRouter } from '../../src/transport/createVersionRouter.js';
import { createMemoryFallbackStore } from '../../src/stores/fallback/memoryFallbackStore.js';
import { manualClock, principal, testScope } from './testUpstream.js';
import { CancelSignal, type CallSignal } from '../../src/context/cancelSignal.js';

/**
 * A real upstream on loopback that holds every request until the test releases it, so "in
 * flight at the same moment" is arranged, not hoped for. It answers with what `answer` says when
 * released, and counts the requests it saw and the sockets the gateway closed on it unanswered.
 */
interface HeldUpstream {
  url: string;
  seen: IncomingHttpHeaders[];
  abandoned: number;
  answer: { status: number; body: unknown };
  arrived(n: number): Promise<void>;
  gone(n: number): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function startHeldUpstream(): Promise<HeldUpstream> {
  const held: (() => void)[] = [];
  const waiters: { count: () => number; n: number; resolve: () => void }[] = [];
  const wake = () => {
    for (const waiter of waiters.filter((w) => w.count() >= w.n)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const server = createServer((req, res) => {
    upstream.seen.push(req.headers);
    req.resume();
    res.once('close', () => {
      if (!res.writableFinished) {
        upstream.abandoned++;
        wake();
      }
    });
    const { status, body } = upstream.answer;
    held.push(() => {
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': 'catalog-1' }).end(JSON.stringify(body));
    });
    wake();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const wait = (count: () => number, n: number) => (count() >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, n, resolve })));
  const upstream: HeldUpstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    seen: [],
    abandoned: 0,
    answer: { status: 200, body: { data: { product: { name: 'Compact Planter' } } } },
    arrived: (n) => wait(() => upstream.seen.length, n),
    gone: (n) => wait(() => upstream.abandoned, n),
    release() {
      for (const answer of held.splice(0)) answer();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}

const QUERY = JSON.stringify({ query: '{ product(id: "p1") { name } }' });

let upstream: HeldUpstream;
// The pool without its own dedup: every pass through the chain is one request the upstream counts.
let pool: HttpClient;
const transports: SourceTransport[] = [];
beforeAll(async () => {
  upstream = await startHeldUpstream();
  pool = createHttpClient({ dedupeInFlight: false });
});
afterAll(async () => {
  await pool.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.seen.length = 0;
  upstream.abandoned = 0;
  upstream.answer = { status: 200, body: { data: { product: { name: 'Compact Planter' } } } };
});
afterEach(() => {
  upstream.release();
  for (const transport of transports.splice(0)) transport.breaker.shutdown();
});

interface Built {
  call: (request: UpstreamRequest) => Promise<UpstreamResponse>;
  metrics: TransportMetrics;
  clock: ReturnType<typeof manualClock>;
}

/**
 * The source's transport, on a clock that stands still unless the test moves it: which calls fit
 * one pass is decided by deadlines read off it, never by how fast this machine is. The deadline
 * timers themselves are real (the time left on that clock).
 */
function build(options: { timeoutMs?: number; fallback?: boolean; shareCalls?: boolean; http?: HttpClient } = {}): Built {
  const clock = manualClock(Date.now());
  const metrics = transportMetrics(new Registry());
  const transport = createSourceTransport({
    source: 'catalog',
    http: (options.http ?? pool).call,
    store: createMemoryFallbackStore({ maxBytes: 1_000_000 }),
    metrics,
    resilience: {
      timeoutMs: options.timeoutMs ?? 2_000,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 1_000, resetTimeoutMs: 60_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10 },
      retry: { maxRetries: 2, baseDelayMs: 0, maxDelayMs: 0, budgetRatio: 0, budgetMin: 100, budgetWindowMs: 10_000 },
      fallback: { enabled: options.fallback ?? false, ttlMs: 60_000 },
    },
    now: clock.now,
    ...(options.shareCalls === undefined ? {} : { shareCalls: options.shareCalls }),
  });
  transports.push(transport);
  return { call: transport.call, metrics, clock };
}

/** Attempts the breaker counted, by outcome (`portico_source_calls_total`). */
async function breakerCalls(metrics: TransportMetrics): Promise<Record<string, number>> {
  const counted: Record<string, number> = {};
  for (const { labels, value } of (await metrics.calls.get()).values) counted[String(labels.outcome)] = value;
  return counted;
}

/** A GraphQL query as a source sends it for the request of `scope`. */
function readFor(scope: RequestScope, extra: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    method: 'POST',
    url: upstream.url,
    headers: { 'content-type': 'application/json', ...scope.upstreamHeaders, 'x-request-id': scope.requestId },
    body: QUERY,
    source: 'catalog',
    idempotent: true,
    scope,
    signal: scope.signal,
    ...extra,
  };
}

/** A request scope that records the answer headers reported back and the attempts it was told of. */
function watchedScope(requestId: string, overrides: Partial<RequestScope> = {}) {
  const answerHeaders: (string | undefined)[] = [];
  const attempts: UpstreamAttempt[] = [];
  const scope = testScope({
    requestId,
    sourceHeaders: [{ request: () => undefined, response: (_source, headers) => void answerHeaders.push(headers?.['x-served-by'] as string | undefined) }],
    upstreamObservers: [(attempt) => (attempts.push(attempt), undefined)],
    ...overrides,
  });
  return { scope, answerHeaders, attempts };
}

const bodyOf = (response: UpstreamResponse) => JSON.parse(response.body) as unknown;
const failureOf = (call: Promise<unknown>) => call.then(() => expect.unreachable('the call succeeded'), (error: unknown) => error);

describe('identical concurrent reads share one pass through the chain', () => {
  it('sends one call through breaker and pool for four identical reads, and answers each caller as if it had made it', async () => {
    const { call, metrics } = build();
    const callers = ['req-1', 'req-2', 'req-3', 'req-4'].map((id) => watchedScope(id));
    const first = call(readFor(callers[0]!.scope));
    await upstream.arrived(1);
    const rest = callers.slice(1).map(({ scope }) => call(readFor(scope)));
    upstream.release();
    const answers = await Promise.all([first, ...rest]);

    expect(upstream.seen).toHaveLength(1);
    expect(upstream.seen[0]!['x-request-id']).toBe('req-1');
    expect(await breakerCalls(metrics)).toEqual({ success: 1 });
    for (const answer of answers) expect(bodyOf(answer)).toEqual({ data: { product: { name: 'Compact Planter' } } });
    // Each request heard the answer's headers (header rules, Cache-Control) for itself.
    expect(callers.map(({ answerHeaders }) => answerHeaders)).toEqual([['catalog-1'], ['catalog-1'], ['catalog-1'], ['catalog-1']]);
    // The first request watched the attempt it sent; the others were told they joined it.
    expect(callers.map(({ attempts }) => attempts.map((attempt) => attempt.joined ?? false))).toEqual([[false], [true], [true], [true]]);
  });

  it('is not a cache: a read made after the pass settled makes its own', async () => {
    const { call } = build();
    const first = call(readFor(testScope({ requestId: 'req-1' })));
    await upstream.arrived(1);
    upstream.release();
    await first;
    const second = call(readFor(testScope({ requestId: 'req-2' })));
    await upstream.arrived(2);
    upstream.release();
    await second;
    expect(upstream.seen).toHaveLength(2);
  });

  it('can be turned off (`portico serve --no-dedup`)', async () => {
    const { call, metrics } = build({ shareCalls: false });
    const first = call(readFor(testScope({ requestId: 'req-1' })));
    await upstream.arrived(1);
    const second = call(readFor(testScope({ requestId: 'req-2' })));
    await upstream.arrived(2);
    upstream.release();
    await Promise.all([first, second]);
    expect(await breakerCalls(metrics)).toEqual({ success: 2 });
  });
});

describe('a read nobody joins costs what it did before reads were shared', () => {
  it('runs on the deadline signal the other calls of its request hold, not on a signal of its own', async () => {
    const signals: (CallSignal | undefined)[] = [];
    const { call } = build({ http: { ...pool, call: (request) => (signals.push(request.signal), pool.call(request)) } });
    const scope = testScope({ requestId: 'req-1', signal: new AbortController().signal });
    // Two plan steps' worth of different reads of one request, made at once: two passes.
    const calls = [call(readFor(scope)), call(readFor(scope, { body: JSON.stringify({ query: '{ product(id: "p2") { name } }' }) }))];
    await upstream.arrived(2);
    upstream.release();
    await Promise.all(calls);
    expect(signals).toHaveLength(2);
    expect(signals[0]).toBeInstanceOf(CancelSignal);
    expect(signals[1]).toBe(signals[0]);
  });

  it('is cancelled with its caller, and a read arriving after that starts afresh instead of joining it', async () => {
    const { call, metrics } = build();
    const leaving = new AbortController();
    const first = failureOf(call(readFor(testScope({ requestId: 'req-1', signal: leaving.signal }))));
    await upstream.arrived(1);
    leaving.abort(new DOMException('client went away', 'AbortError'));
    // In the same tick: the pass is aborted but has not settled yet.
    const second = call(readFor(testScope({ requestId: 'req-2' })));
    expect(await first).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', source: 'catalog' } });
    await upstream.gone(1);
    // Sent on its own, rather than failed with the pass it would have joined.
    expect(await Promise.race([second.then(() => 'answered', () => 'failed'), upstream.arrived(2).then(() => 'sent')])).toBe('sent');
    upstream.release();
    expect(bodyOf(await second)).toEqual({ data: { product: { name: 'Compact Planter' } } });
    expect(await breakerCalls(metrics)).toEqual({ cancelled: 1, success: 1 });
  });
});

describe('calls that could get different answers never share', () => {
  const alice = principal('alice', ['catalog:read'], { tenant: 't1' });
  const bob = principal('bob', ['catalog:read'], { tenant: 't1' });
  it.each<[string, () => [UpstreamRequest, UpstreamRequest]]>([
    [
      'another identity sent upstream',
      () => [
        readFor(testScope({ requestId: 'req-1', principal: alice, upstreamHeaders: { 'x-portico-subject': 'alice' } })),
        readFor(testScope({ requestId: 'req-2', principal: alice, upstreamHeaders: { 'x-portico-subject': 'bob' } })),
      ],
    ],
    [
      // Equal on the wire, so only the fallback scope tells them apart: a stored answer of one must never reach the other.
      'another fallback scope (caller), the same headers',
      () => [readFor(testScope({ requestId: 'req-1', principal: alice })), readFor(testScope({ requestId: 'req-2', principal: bob }))],
    ],
    [
      'other forwarded client headers (header rules)',
      () => [readFor(testScope({ requestId: 'req-1', forwardedHeadersKey: 'de' })), readFor(testScope({ requestId: 'req-2', forwardedHeadersKey: 'fr' }))],
    ],
    [
      'a mutation',
      () => [{ ...readFor(testScope({ requestId: 'req-1' })), idempotent: false }, { ...readFor(testScope({ requestId: 'req-2' })), idempotent: false }],
    ],
  ])('%s', async (_what, requests) => {
    const [a, b] = requests();
    const { call, metrics } = build();
    const first = call(a);
    await upstream.arrived(1);
    const second = call(b);
    await upstream.arrived(2);
    upstream.release();
    await Promise.all([first, second]);
    expect(upstream.seen).toHaveLength(2);
    expect(await breakerCalls(metrics)).toEqual({ success: 2 });
  });

  it('another version chosen for the caller: sharing happens after routing, per version', async () => {
    // Both versions at one URL: the calls are equal on the wire, only the route differs.
    const stable = build();
    const canary = build();
    const router = createVersionRouter({
      source: 'catalog',
      traffic: trafficSchema.parse({ versions: { stable: upstream.url, canary: upstream.url }, rules: [{ when: { header: { name: 'x-version', equals: 'canary' } }, version: 'canary' }] }),
      baseUrl: upstream.url,
      transportFor: (version) => (version === 'canary' ? canary.call : stable.call),
      logger: pino({ level: 'silent' }),
    });
    const first = router.call(readFor(testScope({ requestId: 'req-1' })));
    await upstream.arrived(1);
    const second = router.call(readFor(testScope({ requestId: 'req-2', requestHeaders: { 'x-version': 'canary' } })));
    await upstream.arrived(2);
    const third = router.call(readFor(testScope({ requestId: 'req-3' })));
    upstream.release();
    await Promise.all([first, second, third]);
    expect(upstream.seen).toHaveLength(2);
    expect(await breakerCalls(stable.metrics)).toEqual({ success: 1 });
    expect(await breakerCalls(canary.metrics)).toEqual({ success: 1 });
    await router.close();
  });
});

describe('each caller keeps its own deadline and cancellation', () => {
  it('a caller whose own deadline comes first gets its timeout while the others get the answer', async () => {
    const { call, clock } = build();
    const first = call(readFor(testScope({ requestId: 'req-1' })));
    await upstream.arrived(1);
    // Its request budget ends long before the pass's deadline: it is not held past it.
    const hurried = call(readFor(testScope({ requestId: 'req-2', deadline: clock.now() + 40 })));
    const third = call(readFor(testScope({ requestId: 'req-3' })));
    expect(await failureOf(hurried)).toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT', source: 'catalog' } });
    upstream.release();
    expect(bodyOf(await first)).toEqual({ data: { product: { name: 'Compact Planter' } } });
    expect(bodyOf(await third)).toEqual({ data: { product: { name: 'Compact Planter' } } });
  });

  it('a caller whose pass would end too early for it starts its own, which later callers join', async () => {
    const { call, clock } = build();
    // The first request has 60 ms of budget left: its pass ends then, far before a fresh request's.
    // Its failure is taken at once: on a loaded machine it may fail before the next await ends.
    const short = failureOf(call(readFor(testScope({ requestId: 'req-1', deadline: clock.now() + 60 }))));
    await upstream.arrived(1);
    const second = call(readFor(testScope({ requestId: 'req-2' })));
    await upstream.arrived(2);
    const third = call(readFor(testScope({ requestId: 'req-3' })));
    expect(await short).toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT' } });
    upstream.release();
    await Promise.all([second, third]);
    expect(upstream.seen.map((headers) => headers['x-request-id'])).toEqual(['req-1', 'req-2']);
  });

  it('the first caller leaving (its client went away) does not cancel the pass the others wait for', async () => {
    const { call } = build();
    const leaving = new AbortController();
    const first = call(readFor(testScope({ requestId: 'req-1', signal: leaving.signal })));
    await upstream.arrived(1);
    const second = call(readFor(testScope({ requestId: 'req-2' })));
    leaving.abort(new DOMException('client went away', 'AbortError'));
    expect(await failureOf(first)).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', source: 'catalog' } });
    upstream.release();
    expect(bodyOf(await second)).toEqual({ data: { product: { name: 'Compact Planter' } } });
    expect(upstream.seen).toHaveLength(1);
    expect(upstream.abandoned).toBe(0);
  });

  it('the pass is cancelled once the last caller has left, and the next read starts afresh', async () => {
    const { call, metrics } = build();
    const a = new AbortController();
    const b = new AbortController();
    const first = call(readFor(testScope({ requestId: 'req-1', signal: a.signal })));
    await upstream.arrived(1);
    const second = call(readFor(testScope({ requestId: 'req-2', signal: b.signal })));
    a.abort(new DOMException('gone', 'AbortError'));
    b.abort(new DOMException('gone', 'AbortError'));
    expect(await failureOf(first)).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    expect(await failureOf(second)).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    await upstream.gone(1);
    // A cancelled call says nothing about the source: the breaker files it as cancelled.
    expect(await breakerCalls(metrics)).toEqual({ cancelled: 1 });
    const third = call(readFor(testScope({ requestId: 'req-3' })));
    await upstream.arrived(2);
    upstream.release();
    await third;
  });
});

describe('a first caller that left while its lease was pinned', () => {
  it('still lets a later caller join another of its passes, and that pass lives as long as someone waits on it', async () => {
    const { call } = build();
    const otherQuery = JSON.stringify({ query: '{ product(id: "p2") { name } }' });
    const leaving = new AbortController();
    const first = testScope({ requestId: 'req-1', signal: leaving.signal });
    // Two reads of one request: two passes on the one deadline signal of that request.
    const x = failureOf(call(readFor(first)));
    const y = call(readFor(first, { body: otherQuery })).catch(() => 'the first caller left');
    await upstream.arrived(2);
    const joinsX = new AbortController();
    const xJoiner = failureOf(call(readFor(testScope({ requestId: 'req-2', signal: joinsX.signal }))));
    // Joined, so the first request's signal is pinned: its leaving aborts nothing yet.
    leaving.abort(new DOMException('client went away', 'AbortError'));
    expect(await x).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    const yJoiner = call(readFor(testScope({ requestId: 'req-3' }), { body: otherQuery }));
    // The last caller of x leaves: x lets go of the signal, which y (waited on by req-3) still needs.
    joinsX.abort(new DOMException('client went away', 'AbortError'));
    expect(await xJoiner).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    upstream.release();
    expect(bodyOf(await yJoiner)).toEqual({ data: { product: { name: 'Compact Planter' } } });
    expect(upstream.seen).toHaveLength(2);
    await y;
  });
});

describe('what the pass ends in reaches every caller as its own', () => {
  it('a 5xx: every caller gets the response, and the breaker and the retries count one call', async () => {
    const { call, metrics } = build();
    upstream.answer = { status: 503, body: { errors: [{ message: 'down' }] } };
    const first = call(readFor(testScope({ requestId: 'req-1' })));
    await upstream.arrived(1);
    const rest = [call(readFor(testScope({ requestId: 'req-2' }))), call(readFor(testScope({ requestId: 'req-3' })))];
    // The first attempt and its two retries, once for all three callers.
    for (let n = 1; n <= 3; n++) {
      await upstream.arrived(n);
      upstream.release();
    }
    const answers = await Promise.all([first, ...rest]);
    expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503]);
    expect(upstream.seen).toHaveLength(3);
    expect(await breakerCalls(metrics)).toEqual({ error: 3 });
  });

  it('a timeout: every caller gets SUBGRAPH_TIMEOUT, each its own error object', async () => {
    // The pass's timer is a real 60 ms one.
    const { call, metrics } = build({ timeoutMs: 60 });
    // Made in one tick: the first call's pass is in flight from the moment the call is made.
    const calls = ['req-1', 'req-2', 'req-3'].map((requestId) => call(readFor(testScope({ requestId }))));
    const failures = await Promise.all(calls.map(failureOf));
    for (const failure of failures) {
      expect(failure).toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT', source: 'catalog', http: { status: 504 } } });
      expect(hasPorticoCode(failure)).toBe(true);
    }
    expect(new Set(failures).size).toBe(3);
    expect(upstream.seen).toHaveLength(1);
    expect(await breakerCalls(metrics)).toEqual({ timeout: 1 });
  });

  it('an answer from the fallback cache: every caller gets it, each request marked stale', async () => {
    const { call, clock } = build({ fallback: true });
    const stored = call(readFor(testScope({ requestId: 'req-0' })));
    await upstream.arrived(1);
    upstream.release();
    await stored;
    clock.advance(5_000);
    upstream.answer = { status: 500, body: { errors: [{ message: 'down' }] } };
    const scopes = ['req-1', 'req-2', 'req-3'].map((requestId) => testScope({ requestId }));
    const first = call(readFor(scopes[0]!));
    await upstream.arrived(2);
    const rest = scopes.slice(1).map((scope) => call(readFor(scope)));
    for (let n = 2; n <= 4; n++) {
      await upstream.arrived(n);
      upstream.release();
    }
    const answers = await Promise.all([first, ...rest]);
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, fallbackAgeMs: 5_000 });
    // The stored answer's call, then one attempt and two retries for all three callers.
    expect(upstream.seen).toHaveLength(4);
    expect(scopes.map((scope) => scope.stale)).toEqual([
      [{ source: 'catalog', ageMs: 5_000 }],
      [{ source: 'catalog', ageMs: 5_000 }],
      [{ source: 'catalog', ageMs: 5_000 }],
    ]);
  });
});
