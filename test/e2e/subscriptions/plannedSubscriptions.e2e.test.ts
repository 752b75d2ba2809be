import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { pino } from 'pino';
import { createClient as createSseClient } from 'graphql-sse';
import { loadConfig, type PorticoConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { repoRoot } from '../../support/portico.js';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';
import { parsePrometheusText } from '../../support/prometheusText.js';
import { take } from '../../support/take.js';
import { demoEnvironment } from '../../support/demoEnvironment.js';

// Issue 19 item 2: a subscription's events resolved by plan. The same subscriptions run on the
// web BFF executed by plan and on the same BFF executed by stitching, over the same subgraph
// processes, and every event must be equal (data, error paths and codes). Field authorization
// is in 'null' mode on both, so a denied field shows as a null with its error in each event.

let subgraphs: SubgraphSet;
let idp: Idp;
let plan: Portico;
let stitch: Portico;

beforeAll(async () => {
  // Generous start-up: the machine is shared, and tsx compiles each subgraph on start.
  subgraphs = await startAllSubgraphs({}, { readyTimeoutMs: 90_000 });
  idp = await startIdp();
  const config = await loadConfig(path.join(repoRoot, 'portico.config.ts'), demoEnvironment(subgraphs, idp));
  const web = config.bffs.filter((bff) => bff.name === 'web').map((bff) => ({ ...bff, authz: { ...bff.authz, onDenied: 'null' as const } }));
  // The orders supergraph alone, no resolvers: the federation planner as is (createPlannedExecute).
  const { resolverModule: _resolvers, ...webWithoutResolvers } = web[0]!;
  web.push({ ...webWithoutResolvers, name: 'orders-only', sources: ['orders'] });
  const logger = pino({ level: 'silent' });
  [plan, stitch] = await Promise.all([
    startPortico({ ...config, bffs: web } as PorticoConfig, { logger }),
    startPortico({ ...config, admin: undefined, bffs: web.map((bff) => ({ ...bff, engine: 'stitch' as const })) } as PorticoConfig, { logger }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([plan?.close(0), stitch?.close(0)]);
  await Promise.all([subgraphs?.[Symbol.asyncDispose](), idp?.stop()]);
});

const urlOf = (portico: Portico, bff = 'web') => portico.bffs.find((candidate) => candidate.name === bff)!.url;
const signIn = async (scopes: string[]) => ({ authorization: `Bearer ${await idp.issue({ sub: 'u1', scopes, aud: 'portico-web' } as never)}` });

/** An event with its errors reduced to path and code (messages may word the same failure differently). */
function comparable(event: { data?: unknown; errors?: readonly { path?: readonly unknown[]; extensions?: Record<string, unknown> }[] }) {
  const errors = (event.errors ?? []).map((error) => `${JSON.stringify(error.path ?? null)} ${String(error.extensions?.['code'])}`).sort();
  return { data: event.data, errors };
}

/**
 * Subscribes on the plan engine (first, so its count can be read alone), then on the stitch
 * engine, then publishes three status changes of the order (cancel, reset to PENDING, cancel), and
 * resolves to each engine's three events.
 */
async function bothEngines(orderId: string, query: string, headers: Record<string, string>, beforeEvents?: () => Promise<void>, bff = 'web') {
  const orders = subgraphs.orders;
  await orders.reset();
  const before = await counters(bff);
  const planned = createSseClient({ url: urlOf(plan, bff), headers, retryAttempts: 0 }).iterate({ query });
  const plannedTaken = take(planned, 3);
  await orders.waitForStats((stats) => stats.openStreams === 1, 20_000);
  const afterPlanned = await counters(bff);
  const stitched = createSseClient({ url: urlOf(stitch, bff), headers, retryAttempts: 0 }).iterate({ query });
  const stitchedTaken = take(stitched, 3);
  await orders.waitForStats((stats) => stats.openStreams === 2, 20_000);
  await beforeEvents?.();
  const owner = await signIn(['orders:read', 'orders:write']);
  const cancel = () =>
    fetch(urlOf(plan), { method: 'POST', headers: { 'content-type': 'application/json', ...owner }, body: JSON.stringify({ query: `mutation { cancelOrder(id: "${orderId}") { status } }` }) });
  expect((await cancel()).status).toBe(200);
  await orders.reset();
  expect((await cancel()).status).toBe(200);
  const result = { planned: await plannedTaken, stitched: await stitchedTaken, before, afterPlanned };
  await planned.return?.();
  await stitched.return?.();
  await orders.waitForStats((stats) => stats.openStreams === 0, 20_000);
  await orders.reset();
  return result;
}

/** `portico_operations_total` and `portico_plan_fallbacks_total` of a BFF, from /metrics. */
async function counters(bff: string): Promise<{ plan: number; stitch: number; fallbacks: Record<string, number> }> {
  const samples = parsePrometheusText(await (await fetch(`${plan.admin!.url}/metrics`)).text());
  const value = (name: string, labels: Record<string, string>) =>
    samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, v]) => sample.labels[key] === v))?.value ?? 0;
  const fallbacks: Record<string, number> = {};
  for (const sample of samples) if (sample.name === 'portico_plan_fallbacks_total' && sample.labels['bff'] === bff) fallbacks[sample.labels['reason']!] = sample.value;
  return { plan: value('portico_operations_total', { bff, engine: 'plan' }), stitch: value('portico_operations_total', { bff, engine: 'stitch' }), fallbacks };
}

const ORDER_EVENTS = `subscription {
  orderStatusChanged(orderId: "o1") { id status user { id name } items { quantity product { id name stock { available } } } }
}`;
// o1 is u1's, with one item: product p8 (subgraphs/orders/data.ts).
const event = (status: string) => ({
  data: {
    orderStatusChanged: {
      id: 'o1',
      status,
      user: { id: 'u1', name: 'Ada Lovelace' },
      items: [{ quantity: 2, product: { id: 'p8', name: 'Compact Planter', stock: { available: 6 } } }],
    },
  },
});

describe('subscription events by plan (web BFF)', () => {
  it('resolves each event by plan: the users, products and inventory fields filled, in order, equal to stitching, counted engine="plan"', async () => {
    const run = await bothEngines('o1', ORDER_EVENTS, await signIn(['orders:read']));
    expect(run.planned).toEqual([event('CANCELLED'), event('PENDING'), event('CANCELLED')]);
    expect(run.planned.map(comparable)).toEqual(run.stitched.map(comparable));
    expect(run.afterPlanned.plan - run.before.plan).toBe(1);
    expect(run.afterPlanned.stitch - run.before.stitch).toBe(0);
    expect(run.afterPlanned.fallbacks['subscription'] ?? 0).toBe(run.before.fallbacks['subscription'] ?? 0);
  }, 60_000);

  it('runs a supergraph-only BFF\'s subscription by the federation planner, equal to stitching', async () => {
    const query = 'subscription { orderStatusChanged(orderId: "o1") { id status items { quantity unitPrice product { id } } } }';
    const run = await bothEngines('o1', query, await signIn(['orders:read']), undefined, 'orders-only');
    const item = { quantity: 2, unitPrice: expect.any(Number), product: { id: 'p8' } };
    expect(run.planned).toEqual(['CANCELLED', 'PENDING', 'CANCELLED'].map((status) => ({ data: { orderStatusChanged: { id: 'o1', status, items: [item] } } })));
    expect(run.planned).toEqual(run.stitched);
    expect(run.afterPlanned.plan - run.before.plan).toBe(1);
    expect(run.afterPlanned.stitch - run.before.stitch).toBe(0);
  }, 60_000);

  it('runs a subscription the planner leaves (a reserved alias) by stitching, whole, counted with its reason', async () => {
    const query = 'subscription { orderStatusChanged(orderId: "o1") { __pq_status: status } }';
    const run = await bothEngines('o1', query, await signIn(['orders:read']));
    expect(run.planned).toEqual(['CANCELLED', 'PENDING', 'CANCELLED'].map((status) => ({ data: { orderStatusChanged: { __pq_status: status } } })));
    expect(run.planned).toEqual(run.stitched);
    expect(run.afterPlanned.plan - run.before.plan).toBe(0);
    expect(run.afterPlanned.stitch - run.before.stitch).toBe(1);
    expect((run.afterPlanned.fallbacks['reserved_name'] ?? 0) - (run.before.fallbacks['reserved_name'] ?? 0)).toBe(1);
  }, 60_000);

  it('batches each event\'s products into one lookup (DataLoader), as stitching does', async () => {
    // o21 is u1's too, with three items: p28, p9 and p20, fetched by no other test here (no cache hit).
    await subgraphs.products.reset();
    const query = 'subscription { orderStatusChanged(orderId: "o21") { status items { product { id name } } } }';
    const run = await bothEngines('o21', query, await signIn(['orders:read']));
    expect(run.planned).toEqual(run.stitched);
    const events = run.planned as { data: { orderStatusChanged: { status: string; items: { product: { id: string; name: string } }[] } } }[];
    expect(events.map((e) => e.data.orderStatusChanged.status)).toEqual(['CANCELLED', 'PENDING', 'CANCELLED']);
    for (const e of events) expect(e.data.orderStatusChanged.items.map((item) => item.product.id)).toEqual(['p28', 'p9', 'p20']);
    // Every call the products API saw is its batch endpoint with all three ids: one per event at
    // most (the transport may answer later ones from its cache), never one per product.
    const calls = (await subgraphs.products.requests()).map((request) => request.path);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(decodeURIComponent(call).replace(/,/g, ' ')).toMatch(/^\/products\?ids=(?=.*p28)(?=.*p9)(?=.*p20)/);
  }, 60_000);

  it('never sends a denied field: each event has it null with its error, the warehouse in no byte', async () => {
    // orders:read reads stock but not its warehouse (inventory:read only).
    const query = 'subscription { orderStatusChanged(orderId: "o1") { status items { product { name stock { available warehouse } } } } }';
    const run = await bothEngines('o1', query, await signIn(['orders:read']));
    expect(run.planned.map(comparable)).toEqual(run.stitched.map(comparable));
    for (const planned of run.planned) {
      expect(JSON.stringify(planned)).not.toMatch(/AMS|warehouse":"/);
      expect(comparable(planned as never).errors).toEqual(['["orderStatusChanged","items",0,"product","stock","warehouse"] FORBIDDEN']);
    }
    expect(run.afterPlanned.plan - run.before.plan).toBe(1);
  }, 60_000);

  it('puts a failing REST source\'s error at its path in each event, as stitching does', async () => {
    // o41 (u1's: p18 and p29), whose stock no test fetched before, so no cached answer stands in.
    // Last in the file: the inventory's breaker may be open after it.
    const query = 'subscription { orderStatusChanged(orderId: "o41") { status items { product { name stock { available } } } } }';
    const run = await bothEngines('o41', query, await signIn(['orders:read']), async () => {
      await subgraphs.inventory.setFaults({ errorRate: 1 });
    });
    await subgraphs.inventory.reset();
    expect(run.planned.map(comparable)).toEqual(run.stitched.map(comparable));
    for (const planned of run.planned.map(comparable)) {
      const items = (planned.data as { orderStatusChanged: { items: { product: { name: string; stock: unknown } }[] } }).orderStatusChanged.items;
      expect(items.map((item) => item.product.stock)).toEqual([null, null]);
      expect(items.every((item) => item.product.name.length > 0)).toBe(true);
      expect(planned.errors).toHaveLength(2);
      expect(planned.errors[0]).toMatch(/^\["orderStatusChanged","items",0,"product","stock"\] SUBGRAPH_/);
      expect(planned.errors[1]).toMatch(/^\["orderStatusChanged","items",1,"product","stock"\] SUBGRAPH_/);
    }
  }, 60_000);
});
