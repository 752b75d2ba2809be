import path from 'node:path';
import autocannon from 'autocannon';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// The fixture BFF has 4 slots: critical operations may use 4, normal ones 3, best-effort ones 2.
const CONFIG = path.join(import.meta.dirname, 'fixture', 'portico.config.ts');
// Three distinct pages: identical reads in flight would share one upstream call.
const catalogue = (pageSize: number) => `query Catalogue { products(pageSize: ${pageSize}) { items { id } } }`;
const RECOMMENDATIONS = 'query Recommendations { products(pageSize: 3) { items { id name } } }';
const ME = 'query Me { user(id: "u1") { id name } }';

let users: SubgraphHandle;
let products: SubgraphHandle;
let portico: TestPortico;
let url: string;

beforeAll(async () => {
  [users, products] = await Promise.all([startSubgraph('users'), startSubgraph('products')]);
  portico = await startTestPortico({ users, products }, { config: CONFIG });
  url = portico.bff('shed').url;
});

afterAll(async () => {
  await portico?.close(0);
  await Promise.all([users?.release(), products?.release()]);
});

/** Three normal operations hang at products and hold the three slots normal work may use. */
async function saturate() {
  await products.reset();
  await products.setFaults({ hang: true });
  const held = [1, 2, 3].map((pageSize) => gql(url, catalogue(pageSize)));
  await products.waitForStats((stats) => stats.inFlight === 3);
  return {
    held,
    async release() {
      await products.setFaults({ hang: false });
      return Promise.all(held);
    },
  };
}

async function shedCount(priority: string): Promise<number> {
  const metric = await register.getSingleMetric('portico_load_shed_total')!.get();
  return metric.values
    .filter((value) => value.labels.bff === 'shed' && value.labels.priority === priority)
    .reduce((sum, value) => sum + value.value, 0);
}

describe('load shedding', () => {
  it('sheds best-effort operations with 503 while critical ones keep succeeding under a bounded load test', async () => {
    const saturated = await saturate();
    const shedBefore = await shedCount('best-effort');
    try {
      // A normal operation arriving now has no slot and waits in the queue.
      const queuedNormal = gql(url, catalogue(4));

      // The bounded load: 200 best-effort requests over 8 connections, and 20 critical ones from
      // 4 concurrent clients, at the same time. (Bounded so that it ends well within the 10 s the
      // gateway's HTTP client lets the held requests hang, even on a busy CI machine.)
      const flood = autocannon({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: RECOMMENDATIONS, operationName: 'Recommendations' }),
        connections: 8,
        amount: 200,
        timeout: 20,
      });
      const criticalLatencies: number[] = [];
      const critical = async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          const response = await gql(url, ME);
          criticalLatencies.push(performance.now() - started);
          statuses.push(response.status);
          expect(response.body.data?.user).toEqual({ id: 'u1', name: expect.any(String) });
        }
        return statuses;
      };
      const [result, ...criticalStatuses] = await Promise.all([flood, critical(), critical(), critical(), critical()]);

      expect(criticalStatuses.flat()).toEqual(Array(20).fill(200));
      expect(result.statusCodeStats).toEqual({ '503': { count: 200 } });
      expect(result.errors).toBe(0);
      // Shed before any work: not one of them reached the products service.
      expect((await products.stats()).requests).toBe(3);
      expect(await shedCount('best-effort')).toBe(shedBefore + 200);
      criticalLatencies.sort((a, b) => a - b);
      console.info(
        `load shedding: best-effort 503 latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
          `${Math.round(result.requests.average)} req/s; critical p50 ${criticalLatencies[10]!.toFixed(1)} ms, ` +
          `max ${criticalLatencies[19]!.toFixed(1)} ms (all 200)`,
      );

      // The queued normal operation was neither shed nor run while the normal slots were full.
      const [released, queued] = await Promise.all([saturated.release(), queuedNormal]);
      expect(released.map((response) => response.status)).toEqual([200, 200, 200]);
      expect(queued.status).toBe(200);
      expect(queued.body.data?.products.items).toHaveLength(4);
    } finally {
      await saturated.release();
    }
  });

  it('answers a shed operation with SERVICE_OVERLOADED, status 503 and Retry-After', async () => {
    const saturated = await saturate();
    try {
      const shed = await gql(url, RECOMMENDATIONS);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('2');
      expect(shed.body.data).toBeUndefined();
      expect(shed.body.errors).toEqual([
        { message: 'The gateway is at capacity; retry later.', extensions: { code: 'SERVICE_OVERLOADED' } },
      ]);
    } finally {
      await saturated.release();
    }
  });

  it('admits best-effort operations again once the load is gone', async () => {
    const saturated = await saturate();
    expect((await gql(url, RECOMMENDATIONS)).status).toBe(503);
    await saturated.release();
    const admitted = await gql(url, RECOMMENDATIONS);
    expect(admitted.status).toBe(200);
    expect(admitted.body.data?.products.items).toHaveLength(3);
  });

  it('reports slots in flight and shed operations by priority on the default registry', async () => {
    const saturated = await saturate();
    try {
      const inFlight = await register.getSingleMetric('portico_operations_in_flight')!.get();
      expect(inFlight.values.find((value) => value.labels.bff === 'shed')?.value).toBe(3);
      await gql(url, RECOMMENDATIONS);
      const text = await register.metrics();
      expect(text).toMatch(/portico_load_shed_total\{bff="shed",priority="best-effort",reason="over_limit"\} \d+/);
    } finally {
      await saturated.release();
    }
    const inFlight = await register.getSingleMetric('portico_operations_in_flight')!.get();
    expect(inFlight.values.find((value) => value.labels.bff === 'shed')?.value).toBe(0);
  });
});
