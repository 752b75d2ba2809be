import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startIdp, type Idp } from '../../support/tokens.js';
import type { BreakerState } from '../../../src/transport/withBreaker.js';
import { DEADLINE_HEADER } from '../../../src/transport/withDeadline.js';

// Real subgraph processes with fault knobs; each scenario runs its own gateway (test/e2e/resilience/
// portico.config.ts: the web BFF, small breaker thresholds) so breaker states never leak between them.
const CONFIG = path.join(import.meta.dirname, 'portico.config.ts');

let subgraphs: SubgraphSet;
let idp: Idp;
beforeAll(async () => {
  [subgraphs, idp] = await Promise.all([startAllSubgraphs(), startIdp()]);
  token = await idp.issue({ sub: 'u1', scopes: ['products:read', 'inventory:read', 'orders:read', 'orders:write'] });
});
afterAll(async () => {
  await Promise.all([subgraphs?.[Symbol.asyncDispose](), idp?.stop()]);
});
beforeEach(async () => {
  await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.reset()));
});

interface Gateway {
  portico: TestPortico;
  web: string;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

// The web BFF lets only authenticated callers read (authz default policy); one user asks everything
// that is not about who is asking.
let token: string;
const ask = (gateway: Gateway, query: string) => gql(gateway.web, query, undefined, { authorization: `Bearer ${token}` });

async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const portico = await startTestPortico(subgraphs, { config: CONFIG, logger, env: { IDP_URL: idp.url, ...env } });
  return { portico, web: portico.bff('web').url, logs, close: () => portico.close(0) };
}

function nextState(gateway: Gateway, source: string, state: BreakerState): Promise<void> {
  return new Promise((resolve) => {
    const stop = gateway.portico.sources.onStateChange((name, entered) => {
      if (name === source && entered === state) {
        stop();
        resolve();
      }
    });
  });
}

/** Resolves with the breaker's state once it is one of `states` (at once if it already is). */
function settledIn(gateway: Gateway, source: string, states: BreakerState[]): Promise<BreakerState> {
  return new Promise((resolve) => {
    const stop = gateway.portico.sources.onStateChange((name, entered) => {
      if (name === source && states.includes(entered)) {
        stop();
        resolve(entered);
      }
    });
    const now = gateway.portico.sources.health()[source]?.breaker;
    if (now && states.includes(now)) {
      stop();
      resolve(now);
    }
  });
}

/** Prometheus text → [{ name, labels, value }]. */
async function scrape(gateway: Gateway): Promise<{ name: string; labels: Record<string, string>; value: number }[]> {
  const response = await fetch(`${gateway.portico.admin!.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const samples = [];
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

type Samples = Awaited<ReturnType<typeof scrape>>;

function sample(samples: Samples, name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** How much a counter grew between two scrapes (the registry is the process's, shared by every gateway in this file). */
function grew(before: Samples, after: Samples, name: string, labels: Record<string, string>): number {
  return (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
}

const PRODUCTS_WITH_STOCK = '{ products(page: 1, pageSize: 3) { items { id name stock { available } } } }';
// Identical reads in flight at once share one upstream exchange (src/transport/inFlightDedup.ts);
// distinct pages keep the calls of concurrent queries distinct.
const productsPage = (page: number) => `{ products(page: ${page}, pageSize: 3) { items { id name stock { available } } } }`;
const STOCK_PATHS = [0, 1, 2].map((i) => ['products', 'items', i, 'stock']);

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('when inventory fails', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    // The reset timeout leaves the ten fast queries below ample time to run while the breaker is open.
    gateway = await startGateway({ INVENTORY_TIMEOUT_MS: '400', INVENTORY_RESET_MS: '1500' });
  });
  afterAll(() => gateway?.close());

  it('returns the products and puts errors only at the stock paths', async () => {
    await subgraphs.inventory.setFaults({ down: true });
    const { status, body } = await ask(gateway, PRODUCTS_WITH_STOCK);
    expect(status).toBe(200);
    expect(body.data!.products.items).toEqual([
      { id: 'p1', name: expect.any(String), stock: null },
      { id: 'p2', name: expect.any(String), stock: null },
      { id: 'p3', name: expect.any(String), stock: null },
    ]);
    expect(body.errors!.map((error) => error.path)).toEqual(STOCK_PATHS);
    expect(body.errors!.every((error) => error.extensions?.code === 'SUBGRAPH_UNAVAILABLE')).toBe(true);
  });

  it('opens the breaker and then answers without calling inventory; after recovery the half-open probe closes it; every step is in the logs and /metrics', async () => {
    const before = await scrape(gateway);
    await subgraphs.inventory.setFaults({ hang: true });
    const opened = nextState(gateway, 'inventory', 'open');
    const slow: number[] = [];
    // Each query makes three stock calls that time out at 400 ms; four failures open the breaker.
    for (let i = 0; i < 3 && gateway.portico.sources.health().inventory?.breaker !== 'open'; i++) {
      const { ms, result } = await timed(() => ask(gateway, PRODUCTS_WITH_STOCK));
      slow.push(ms);
      expect(result.body.errors!.map((error) => error.path)).toEqual(STOCK_PATHS);
      expect(result.body.errors!.map((error) => error.extensions?.code)).toContain('SUBGRAPH_TIMEOUT');
    }
    await opened;

    const readyz = await fetch(new URL('/readyz', gateway.web));
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({
      ready: true,
      sources: { users: { breaker: 'closed' }, 'orders/orders': { breaker: 'closed' }, products: { breaker: 'closed' }, inventory: { breaker: 'open' } },
    });

    const sent = (await subgraphs.inventory.stats()).requests;
    // On a machine slow enough for the reset timeout to pass mid-loop, the rest of the loop would
    // include the half-open probe; only queries answered while the breaker stayed open count.
    let leftOpen = false;
    const stopWatching = gateway.portico.sources.onStateChange((name) => void (name === 'inventory' && (leftOpen = true)));
    const fast: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { ms, result } = await timed(() => ask(gateway, PRODUCTS_WITH_STOCK));
      if (leftOpen) break;
      fast.push(ms);
      expect(result.status).toBe(200);
      expect(result.body.data!.products.items.map((item: { name: string }) => typeof item.name)).toEqual(['string', 'string', 'string']);
      expect(result.body.errors!.map((error) => [error.path, error.extensions?.code])).toEqual(STOCK_PATHS.map((p) => [p, 'SUBGRAPH_UNAVAILABLE']));
      // While open, not one more request reached inventory.
      expect((await subgraphs.inventory.stats()).requests).toBe(sent);
    }
    stopWatching();
    expect(fast.length).toBeGreaterThan(0);
    console.info(`[resilience] inventory hanging: median ${median(slow).toFixed(0)} ms per query before the breaker opened, ${median(fast).toFixed(1)} ms once open (${fast.length} queries, 0 inventory calls)`);

    await subgraphs.inventory.setFaults({ hang: false });
    if ((await settledIn(gateway, 'inventory', ['half_open', 'closed'])) === 'half_open') {
      const closed = nextState(gateway, 'inventory', 'closed');
      const probe = await ask(gateway, '{ product(id: "p1") { stock { available } } }');
      expect(probe.body.errors).toBeUndefined();
      await closed;
    }
    const healthy = await ask(gateway, PRODUCTS_WITH_STOCK);
    expect(healthy.body.errors).toBeUndefined();
    expect(healthy.body.data!.products.items.every((item: { stock: unknown }) => item.stock !== null)).toBe(true);

    const lines = gateway.logs.filter((line) => line.source === 'inventory');
    expect(lines.find((line) => line.breaker === 'open')).toMatchObject({ level: 40, msg: expect.stringMatching(/opened/) });
    expect(lines.find((line) => line.breaker === 'half_open')).toMatchObject({ level: 30 });
    expect(lines.find((line) => line.breaker === 'closed')).toMatchObject({ level: 30 });
    expect(lines.find((line) => line.failure === 'timeout')).toMatchObject({ level: 40, code: 'SUBGRAPH_TIMEOUT', requestId: expect.any(String) });

    const metrics = await scrape(gateway);
    const inventory = { source: 'inventory' };
    expect(sample(metrics, 'portico_source_breaker_state', { ...inventory, state: 'closed' })).toBe(1);
    expect(sample(metrics, 'portico_source_breaker_state', { ...inventory, state: 'open' })).toBe(0);
    for (const to of ['open', 'half_open', 'closed']) {
      expect(grew(before, metrics, 'portico_source_breaker_transitions_total', { ...inventory, to })).toBeGreaterThanOrEqual(1);
    }
    expect(grew(before, metrics, 'portico_source_calls_total', { ...inventory, outcome: 'rejected' })).toBeGreaterThanOrEqual(3 * fast.length);
    expect(grew(before, metrics, 'portico_source_failures_total', { ...inventory, kind: 'timeout' })).toBeGreaterThanOrEqual(3);
    expect(grew(before, metrics, 'portico_source_call_duration_seconds_count', { ...inventory, outcome: 'timeout' })).toBeGreaterThanOrEqual(3);
    expect(grew(before, metrics, 'portico_source_call_duration_seconds_count', { ...inventory, outcome: 'success' })).toBeGreaterThanOrEqual(4);
  });
});

describe('a slow subgraph', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    // Hanging calls stay in flight for the whole test: only the 10 s request budget ends them.
    gateway = await startGateway({ INVENTORY_TIMEOUT_MS: '30000' });
  });
  afterAll(() => gateway?.close());

  it('does not hold up queries that do not touch it', async () => {
    await subgraphs.inventory.setFaults({ hang: true });
    let settled = 0;
    const held = Array.from({ length: 4 }, (_, i) => ask(gateway, productsPage(i + 1)).finally(() => settled++));
    await subgraphs.inventory.waitForStats((stats) => stats.inFlight === 12);
    for (let i = 0; i < 20; i++) {
      const { status, body } = await ask(gateway, '{ user(id: "u1") { name } }');
      expect(status).toBe(200);
      expect(body).toEqual({ data: { user: { name: 'Ada Lovelace' } } });
    }
    // All twenty answered while every inventory call was still hanging.
    expect(settled).toBe(0);
    expect((await subgraphs.inventory.stats()).inFlight).toBe(12);
    await subgraphs.inventory.setFaults({ hang: false });
    for (const { body } of await Promise.all(held)) expect(body.errors).toBeUndefined();

    // The figure for the note: users-only latency with inventory healthy vs slow and busy, in a
    // bounded loop of alternating rounds, so drift in the machine's load hits both sides alike.
    const usersOnly = async () => (await timed(() => ask(gateway, '{ user(id: "u2") { name } }'))).ms;
    const baseline: number[] = [];
    const loaded: number[] = [];
    for (let round = 0; round < 4; round++) {
      await subgraphs.inventory.setFaults({ latencyMs: 0 });
      for (let i = 0; i < 10; i++) baseline.push(await usersOnly());
      await subgraphs.inventory.setFaults({ latencyMs: 300 });
      let stop = false;
      const load = Array.from({ length: 6 }, async (_, i) => {
        while (!stop) await ask(gateway, productsPage(i + 1));
      });
      await subgraphs.inventory.waitForStats((stats) => stats.inFlight >= 12);
      for (let i = 0; i < 10; i++) loaded.push(await usersOnly());
      stop = true;
      await Promise.all(load);
    }
    console.info(
      `[resilience] users-only query, median of 40: ${median(baseline).toFixed(1)} ms with inventory healthy, ${median(loaded).toFixed(1)} ms with inventory at +300 ms and 6 queries on it in flight (ratio ${(median(loaded) / median(baseline)).toFixed(2)})`,
    );
  });

  it('cancels the calls a request was waiting on as soon as its client hangs up (issue 17: the signal is created lazily)', async () => {
    await subgraphs.inventory.setFaults({ hang: true });
    const client = new AbortController();
    const asked = fetch(gateway.web, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: PRODUCTS_WITH_STOCK }),
      signal: client.signal,
    }).catch((error: unknown) => error);
    await subgraphs.inventory.waitForStats((stats) => stats.inFlight === 3);
    client.abort();
    expect(await asked).toMatchObject({ name: 'AbortError' });
    // Inventory's timeout is 30 s and the request budget 10 s: only the client's leaving can end
    // the three calls within waitForStats' 5 s.
    const after = await subgraphs.inventory.waitForStats((stats) => stats.inFlight === 0);
    expect(after.inFlight).toBe(0);
  });

  it('tells every subgraph how long the gateway will still wait, in x-portico-deadline-ms', async () => {
    const { body } = await ask(gateway, '{ user(id: "u1") { name orders(first: 1) { id items { product { name stock { available } } } } } }');
    expect(body.errors).toBeUndefined();
    for (const subgraph of [subgraphs.users, subgraphs.orders, subgraphs.products, subgraphs.inventory]) {
      const [request] = await subgraph.requests();
      const left = Number(request!.headers[DEADLINE_HEADER]);
      // min(source timeout, request budget 10 s), less what the request has used so far.
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(subgraph === subgraphs.inventory ? 10_000 : 5_000);
    }
  });
});

describe('retries', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it('never retries a mutation', async () => {
    await subgraphs.orders.setFaults({ errorRate: 1 });
    const { body } = await ask(gateway, 'mutation { cancelOrder(id: "o1") { id status } }');
    expect(body.data).toEqual({ cancelOrder: null });
    expect(body.errors!.map((error) => error.path)).toEqual([['cancelOrder']]);
    expect((await subgraphs.orders.stats()).requests).toBe(1);
  });

  it('retries a failing read at most within the source retry budget', async () => {
    const before = await scrape(gateway);
    await subgraphs.products.setFaults({ errorRate: 1 });
    for (let i = 1; i <= 10; i++) {
      const { body } = await ask(gateway, `{ product(id: "p${i}") { name } }`);
      expect(body.data).toEqual({ product: null });
      expect(body.errors!.map((error) => [error.path, error.extensions?.code])).toEqual([[['product'], 'SUBGRAPH_ERROR']]);
    }
    // 10 reads, at most 2 retries each: up to 30 calls without a budget. The budget (2 + 10 % of
    // 10 requests) allows 3 retries: the first read's two, the tenth read's one.
    expect((await subgraphs.products.stats()).requests).toBe(13);
    const metrics = await scrape(gateway);
    expect(grew(before, metrics, 'portico_source_retries_total', { source: 'products' })).toBe(3);
    expect(grew(before, metrics, 'portico_source_retries_denied_total', { source: 'products', reason: 'budget' })).toBe(9);
    expect(gateway.logs.filter((line) => line.source === 'products' && line.msg === 'retrying read')).toHaveLength(3);
  });
});

describe('the fallback cache', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it('serves a read answered before while products fails, marked stale, and never to a user with other scopes or another tenant', async () => {
    const alice = await idp.issue({ sub: 'alice', scopes: ['products:read', 'catalog:read'], tenant: 'acme' });
    const bob = await idp.issue({ sub: 'bob', scopes: ['products:read', 'orders:read'], tenant: 'acme' });
    const aliceAtGlobex = await idp.issue({ sub: 'alice', scopes: ['products:read', 'catalog:read'], tenant: 'globex' });
    const query = '{ product(id: "p1") { id name priceCents } }';
    const before = await scrape(gateway);
    const fresh = await gql(gateway.web, query, undefined, { authorization: `Bearer ${alice}` });
    expect(fresh.body.errors).toBeUndefined();
    expect(fresh.body).not.toHaveProperty('extensions');

    await subgraphs.products.setFaults({ errorRate: 1 });
    const stale = await gql(gateway.web, query, undefined, { authorization: `Bearer ${alice}` });
    expect(stale.status).toBe(200);
    expect(stale.body.data).toEqual(fresh.body.data);
    expect(stale.body.errors).toBeUndefined();
    expect((stale.body as { extensions?: unknown }).extensions).toEqual({ stale: [{ source: 'products', ageMs: expect.any(Number) }] });

    for (const someoneElse of [bob, aliceAtGlobex]) {
      const other = await gql(gateway.web, query, undefined, { authorization: `Bearer ${someoneElse}` });
      expect(other.body.data).toEqual({ product: null });
      expect(other.body.errors!.map((error) => error.path)).toEqual([['product']]);
      expect(other.body).not.toHaveProperty('extensions.stale');
    }
    const metrics = await scrape(gateway);
    expect(grew(before, metrics, 'portico_source_fallbacks_total', { source: 'products', result: 'served' })).toBe(1);
    expect(grew(before, metrics, 'portico_source_fallbacks_total', { source: 'products', result: 'miss' })).toBe(2);
    expect(gateway.logs.find((line) => line.source === 'products' && typeof line.ageMs === 'number')).toMatchObject({ level: 30, requestId: expect.any(String) });
  });

  it('puts a federation subgraph outage at the exact path when nothing is cached, and serves the cached answer once there is one', async () => {
    const query = '{ order(id: "o1") { id status } user(id: "u1") { name } }'; // o1 is u1's own order (@owner, schemas/orders.graphql)
    await subgraphs.orders.setFaults({ down: true });
    const cold = await ask(gateway, query);
    expect(cold.body.data).toEqual({ order: null, user: { name: 'Ada Lovelace' } });
    expect(cold.body.errors!.map((error) => [error.path, error.extensions?.code])).toEqual([[['order'], 'SUBGRAPH_UNAVAILABLE']]);

    await subgraphs.orders.setFaults({ down: false });
    const fresh = await ask(gateway, query);
    expect(fresh.body.errors).toBeUndefined();
    await subgraphs.orders.setFaults({ down: true });
    const stale = await ask(gateway, query);
    expect(stale.body.data).toEqual(fresh.body.data);
    expect((stale.body as { extensions?: { stale?: unknown } }).extensions?.stale).toEqual([{ source: 'orders/orders', ageMs: expect.any(Number) }]);
  });
});
