import { parse } from 'graphql';
import { pino } from 'pino';
import { register } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedSource } from '../../src/config/loadConfig.js';
import { sourceSchema } from '../../src/config/schema.js';
import { ANONYMOUS, type Principal } from '../../src/context/principal.js';
import type { RequestScope } from '../../src/context/requestScope.js';
import { createGraphQLExecutor } from '../../src/sources/graphql/httpExecutor.js';
import { createHttpClient, type HttpClient } from '../../src/transport/httpClient.js';
import { createSourceTransports, type SourceTransports } from '../../src/transport/createSourceTransports.js';
import { chooseVersion } from '../../src/transport/chooseVersion.js';
import { trafficSchema } from '../../src/config/trafficSchema.js';
import { startSubgraph, type SubgraphHandle } from '../support/subgraphs.js';

// Two real processes of the demo orders service: `stable` and `canary` (the shadow, when mirrored).
// Routing is counted where it lands: at each process.
let stable: SubgraphHandle;
let canary: SubgraphHandle;
let http: HttpClient;

beforeAll(async () => {
  [stable, canary] = await Promise.all([startSubgraph('orders'), startSubgraph('orders')]);
  http = createHttpClient();
}, 120_000);
afterAll(async () => {
  await http?.close();
  await Promise.all([stable?.release(), canary?.release()]);
});
beforeEach(async () => {
  await Promise.all([stable.reset(), canary.reset()]);
});

interface Harness {
  transports: SourceTransports;
  logs: Record<string, unknown>[];
  /** Sends `{ __typename }` as `principal`, with the client's `headers`; resolves to the status. */
  send(principal?: Principal, headers?: Record<string, string>): Promise<number>;
  /** The version each attempt's observers (tracing, access log) were told, in order. */
  observed: (string | undefined)[];
  executor: ReturnType<typeof createGraphQLExecutor>;
  setClock(ms: number): void;
}

// No retries or fallback answers, so counts at each process are calls; a timeout far above any
// answer's latency, so a machine under heavy load slows the test down instead of failing it.
const QUIET = { timeoutMs: 60_000, retry: { maxRetries: 0 }, fallback: { enabled: false } };

function harness(traffic: Record<string, unknown>): Harness {
  let clock = 1_000_000;
  const logs: Record<string, unknown>[] = [];
  const source: LoadedSource = {
    ...sourceSchema.parse({
      kind: 'graphql',
      url: stable.url,
      schema: 'orders.graphql',
      resilience: QUIET,
      traffic: { versions: { stable: stable.url, canary: canary.url }, ...traffic },
    }),
    name: 'orders',
    file: 'test/sources.ts',
  };
  const transports = createSourceTransports({
    sources: { orders: source },
    http: http.call,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
    rollbackClock: () => clock,
  });
  const call = transports.httpFor('orders');
  // A distinct request id per call: the pool shares identical reads in flight, which would count one call for several.
  let sequence = 0;
  const observed: (string | undefined)[] = [];
  return {
    observed,
    transports,
    logs,
    async send(principal = ANONYMOUS, headers = {}) {
      const scope: RequestScope = {
        requestId: 'r',
        principal,
        upstreamHeaders: {},
        requestHeaders: headers,
        upstreamObservers: [(attempt) => void observed.push(attempt.version)],
      };
      const response = await call({
        method: 'POST',
        url: stable.url,
        headers: { 'content-type': 'application/json', 'x-test-call': `c${sequence++}` },
        body: '{"query":"{ __typename }"}',
        source: 'orders',
        idempotent: true,
        scope,
      });
      return response.status;
    },
    executor: createGraphQLExecutor({ source: 'orders', url: stable.url, http: call }),
    setClock: (ms) => void (clock = ms),
  };
}

const user = (subject: string, extra: Partial<Principal> = {}): Principal => ({ kind: 'jwt', subject, scopes: [], roles: [], ...extra });

/** Runs `count` sends, `width` at a time. */
async function many(count: number, send: (i: number) => Promise<unknown>, width = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await send(next++);
    }),
  );
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v)).reduce((sum, value) => sum + value.value, 0);
}

describe('routing a source to its versions (real processes)', () => {
  it('sends each signed-in caller where the weights place them: 500 subjects, counted at each process', async () => {
    const traffic = { weights: { stable: 80, canary: 20 } };
    const h = harness(traffic);
    try {
      const parsed = trafficSchema.parse({ versions: { stable: stable.url, canary: canary.url }, ...traffic });
      let expectedCanary = 0;
      for (let i = 0; i < 500; i++) if (chooseVersion('orders', parsed, { principal: user(`user-${i}`), header: () => undefined }, new Set()).version === 'canary') expectedCanary += 1;
      await many(500, (i) => h.send(user(`user-${i}`)));
      const [atStable, atCanary] = await Promise.all([stable.stats(), canary.stats()]);
      // Exactly where the router placed them, and the split near the weights (10,000 subjects in chooseVersion.test.ts).
      expect(atCanary.requests).toBe(expectedCanary);
      expect(atStable.requests).toBe(500 - expectedCanary);
      expect(Math.abs(atCanary.requests / 5 - 20)).toBeLessThanOrEqual(4);
    } finally {
      await h.transports.close();
    }
  }, 180_000);

  it('keeps one subject on one version for 1,000 requests at 50/50', async () => {
    const h = harness({ weights: { stable: 50, canary: 50 } });
    try {
      await many(1_000, () => h.send(user('alice')));
      const counts = [(await stable.stats()).requests, (await canary.stats()).requests].sort((a, b) => a - b);
      expect(counts).toEqual([0, 1_000]);
    } finally {
      await h.transports.close();
    }
  }, 180_000);

  it('applies header and tenant rules exactly', async () => {
    const h = harness({ rules: [{ version: 'canary', when: { header: { name: 'x-version', equals: 'canary' } } }, { version: 'canary', when: { tenant: ['acme'] } }] });
    try {
      await many(50, () => h.send(ANONYMOUS, { 'x-version': 'canary' }));
      await many(40, (i) => h.send(user(`acme-${i}`, { tenant: 'acme' })));
      await many(30, (i) => h.send(user(`globex-${i}`, { tenant: 'globex' }), { 'x-version': 'stable' }));
      expect((await canary.stats()).requests).toBe(90);
      expect((await stable.stats()).requests).toBe(30);
      // Tracing and the access log see the version of every attempt (`portico.source.version` on the span).
      expect(h.observed.filter((version) => version === 'canary')).toHaveLength(90);
      expect(h.observed.filter((version) => version === 'stable')).toHaveLength(30);
    } finally {
      await h.transports.close();
    }
  }, 120_000);
});

describe('automatic rollback', () => {
  it('withdraws a failing canary within the window, then sends it nothing until the traffic config changes', async () => {
    const h = harness({ weights: { stable: 50, canary: 50 }, rollback: { windowMs: 60_000, minCalls: 10, errorRateMargin: 0.2 } });
    try {
      await canary.setFaults({ errorRate: 1 });
      // The clock never moves: everything below happens inside one window.
      await many(60, (i) => h.send(user(`user-${i}`)), 1);
      const health = h.transports.health(['orders']);
      expect(health['orders@canary']?.version).toMatchObject({ weight: 0, state: 'rolled_back', rollback: { reason: 'error_rate', version: { calls: 10, errorRate: 1 } } });
      expect(health['orders@stable']?.version).toMatchObject({ weight: 100, state: 'serving' });
      // The 10th failed call decided it: the canary saw exactly minCalls calls (no retries here).
      expect((await canary.stats()).requests).toBe(10);
      expect(h.logs.find((line) => line.msg === 'version rolled back: it gets no calls until the traffic config changes')).toMatchObject({ level: 50, source: 'orders', version: 'canary', reason: 'error_rate' });
      expect(await metricValue('portico_source_version_rolled_back', { source: 'orders', version: 'canary' })).toBe(1);
      expect(await metricValue('portico_source_version_weight', { source: 'orders', version: 'canary' })).toBe(0);

      // 0 further calls, though it answers again.
      await canary.setFaults({ errorRate: 0 });
      await many(100, (i) => h.send(user(`later-${i}`)));
      expect((await canary.stats()).requests).toBe(10);

      // A reload with the same block keeps it out; a changed block brings it back.
      const reloaded = (revision?: number): Record<string, LoadedSource> => ({
        orders: {
          ...sourceSchema.parse({
            kind: 'graphql',
            url: stable.url,
            schema: 'orders.graphql',
            resilience: QUIET,
            traffic: { versions: { stable: stable.url, canary: canary.url }, weights: { stable: 50, canary: 50 }, rollback: { windowMs: 60_000, minCalls: 10, errorRateMargin: 0.2 }, ...(revision ? { revision } : {}) },
          }),
          name: 'orders',
          file: 'test/sources.ts',
        },
      });
      h.transports.retarget(reloaded());
      await many(50, (i) => h.send(user(`again-${i}`)));
      expect((await canary.stats()).requests).toBe(10);
      h.transports.retarget(reloaded(2));
      expect(h.transports.health(['orders'])['orders@canary']?.version).toMatchObject({ weight: 50, state: 'serving' });
      await many(100, (i) => h.send(user(`back-${i}`)));
      expect((await canary.stats()).requests).toBeGreaterThan(10);
    } finally {
      await h.transports.close();
    }
  }, 180_000);
});

describe('mirroring', () => {
  const mirror = { mirror: { version: 'canary', percent: 100, logSampleRate: 1, timeoutMs: 10_000 } };
  const context = (): { portico: RequestScope } => ({ portico: { requestId: 'm', principal: ANONYMOUS, upstreamHeaders: {} } });

  it('never copies a mutation to the shadow', async () => {
    const h = harness(mirror);
    try {
      const result = await h.executor({ document: parse('mutation { cancelOrder(id: "o1") { id status } }'), context: context() });
      expect(result).toMatchObject({ data: { cancelOrder: { id: 'o1', status: 'CANCELLED' } } });
      // A read after it is copied, so the shadow is known to be listening.
      await h.executor({ document: parse('{ __typename }'), context: context() });
      await canary.waitForStats((stats) => stats.requests === 1);
      expect((await canary.requests()).some((request) => JSON.stringify(request.body).includes('cancelOrder'))).toBe(false);
      expect((await stable.stats()).requests).toBe(2);
    } finally {
      await h.transports.close();
    }
  });

  it('reports a planted difference by its path, never its values', async () => {
    const h = harness(mirror);
    try {
      const query = parse('{ order(id: "o3") { id status createdAt } }');
      const before = await metricValue('portico_mirror_diff_total', { source: 'orders', version: 'canary' });
      const equal = await h.executor({ document: query, context: context() });
      await canary.waitForStats((stats) => stats.requests === 1);
      // The shadow's data moves away from the primary's: order o3 cancelled there only.
      await fetch(canary.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"mutation { cancelOrder(id: \\"o3\\") { id } }"}' });
      const served = await h.executor({ document: query, context: context() });
      expect(served).toEqual(equal);
      await canary.waitForStats((stats) => stats.requests === 3);
      await expect.poll(() => metricValue('portico_mirror_diff_total', { source: 'orders', version: 'canary' })).toBe(before + 1);
      const line = h.logs.find((entry) => entry.msg === 'mirrored answer differs');
      expect(line).toMatchObject({ source: 'orders', version: 'canary', primary: 'stable', path: 'data.order.status' });
      expect(JSON.stringify(line)).not.toMatch(/CANCELLED|PAID|PENDING|SHIPPED|o3/);
    } finally {
      await h.transports.close();
    }
  });

  it('serves the same answers while the shadow fails, and counts its failures', async () => {
    const h = harness(mirror);
    try {
      const query = (id: number) => parse(`{ order(id: "o${id}") { id status } }`);
      const expected = await Promise.all([8, 9].map((id) => h.executor({ document: query(id), context: context() })));
      await canary.waitForStats((stats) => stats.requests === 2);
      await canary.setFaults({ errorRate: 1 });
      const before = await metricValue('portico_mirror_requests_total', { source: 'orders', version: 'canary', result: 'failed' });
      expect(await Promise.all([8, 9].map((id) => h.executor({ document: query(id), context: context() })))).toEqual(expected);
      await expect.poll(() => metricValue('portico_mirror_requests_total', { source: 'orders', version: 'canary', result: 'failed' })).toBe(before + 2);
      // The primary's own transport never saw the shadow's failures.
      expect(h.transports.health(['orders'])['orders@stable']?.breaker).toBe('closed');
    } finally {
      await h.transports.close();
    }
  });

  it('pauses copying to a shadow that keeps failing: one probe per pause, copying again once it answers', async () => {
    const h = harness({ mirror: { ...mirror.mirror, pauseAfterFailures: 3, pauseMs: 1_000 } });
    const result = (name: string) => metricValue('portico_mirror_requests_total', { source: 'orders', version: 'canary', result: name });
    try {
      h.setClock(5_000_000);
      await canary.setFaults({ errorRate: 1 });
      const [failed, paused, equal] = [await result('failed'), await result('paused'), await result('equal')];
      // Three failures in a row (each one in before the next read) pause copying.
      for (let i = 0; i < 3; i++) {
        await h.send();
        await expect.poll(() => result('failed')).toBe(failed + i + 1);
      }
      await many(10, () => h.send());
      expect(await result('paused')).toBe(paused + 10);
      expect((await canary.stats()).requests).toBe(3);
      expect(h.logs.filter((line) => line.msg === 'mirror paused: the shadow keeps failing; one copy probes it after each pause')).toHaveLength(1);

      // The pause is over: one read probes, the others wait for its verdict; it fails, and the pause starts again.
      h.setClock(5_001_001);
      await many(5, () => h.send(), 1);
      await expect.poll(() => result('failed')).toBe(failed + 4);
      expect((await canary.stats()).requests).toBe(4);
      expect(await result('paused')).toBe(paused + 14);

      // The shadow answers again: the next probe resumes copying.
      await canary.setFaults({ errorRate: 0 });
      h.setClock(5_002_002);
      await h.send();
      await expect.poll(() => result('equal')).toBe(equal + 1);
      await many(5, () => h.send(), 1);
      await expect.poll(() => result('equal')).toBe(equal + 6);
      expect((await canary.stats()).requests).toBe(10);
    } finally {
      await h.transports.close();
    }
  });

  it('answers without waiting for a hanging shadow, with the same answer', async () => {
    const h = harness(mirror);
    try {
      const query = (id: number) => parse(`{ order(id: "o${id}") { id status total } }`);
      const expected = await Promise.all([5, 6, 7].map((id) => h.executor({ document: query(id), context: context() })));
      await canary.waitForStats((stats) => stats.requests === 3);
      await canary.setFaults({ hang: true });
      const answers = await Promise.all([5, 6, 7].map((id) => h.executor({ document: query(id), context: context() })));
      expect(answers).toEqual(expected);
      // The copies are still held at the shadow after every answer came back.
      const held = await canary.waitForStats((stats) => stats.inFlight === 3 && stats.requests === 6);
      expect(held.inFlight).toBe(3);
    } finally {
      await canary.reset();
      await h.transports.close();
    }
  });
});
