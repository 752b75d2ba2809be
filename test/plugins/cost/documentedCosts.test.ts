import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

// The repository's BFFs (bffs/*) and schemas (schemas/*.graphql), with the cost reported in
// extensions. Every figure below is worked out by hand in docs/cost-and-rate-limits.md.
const CONFIG = path.join(import.meta.dirname, 'config', 'portico.config.ts');

let users: SubgraphHandle;
let orders: SubgraphHandle;
let idp: Idp;
let portico: TestPortico;
/** A caller allowed to read everything these queries select, so only the cost decides. */
let headers: Record<string, string>;

beforeAll(async () => {
  [users, orders, idp] = await Promise.all([startSubgraph('users'), startSubgraph('orders'), startIdp()]);
  portico = await startTestPortico({ users, orders }, { config: CONFIG, env: { IDP_URL: idp.url } });
  const token = await idp.issue({ sub: 'u1', tenant: 't1', plan: 'pro', scopes: ['orders:read', 'inventory:read', 'products:read', 'users:pii'], roles: ['admin'] });
  headers = { authorization: `Bearer ${token}` };
});
afterAll(async () => {
  await portico?.close(0);
  await Promise.all([users?.release(), orders?.release(), idp?.stop()]);
});

const documented: [bff: string, name: string, query: string, variables: Record<string, unknown> | undefined, cost: number][] = [
  [
    'web',
    'the README’s four-source query: 1 + 2 × (1 + 3 × (1 + 1 + 3)) = 33',
    '{ user(id: "u1") { name plan orders(first: 2) { id total items { quantity product { name priceCents stock { available warehouse } } } } } }',
    undefined,
    33,
  ],
  ['web', 'the dashboard: 1 + 1 + 5 × 1 + (1 + 4 × 1) = 12', '{ dashboard(userId: "u2") { user { name } recentOrders { id status } featuredProducts { items { name } } } }', undefined, 12],
  ['web', 'a catalogue page with stock: 1 + 50 × (1 + 3) = 201', '{ products(pageSize: 50) { items { name stock { available } } } }', undefined, 201],
  ['web', 'a page size from a variable: 5 × (1 + 3 × 1) = 20', 'query ($n: Int) { orders(first: $n) { id items { quantity } } }', { n: 5 }, 20],
  ['web', 'a list argument’s length: 3 × (1 + 1) = 6', '{ usersByIds(ids: ["u1", "u2", "u3"]) { name tenant { name } } }', undefined, 6],
  ['web', 'aliases count twice, fragments once: 2 × (1 + 10 × 1) = 22', '{ a: user(id: "u1") { ...O } b: user(id: "u2") { ...O name } } fragment O on User { orders { id } }', undefined, 22],
  ['mobile', 'the README’s mobile query, renamed fields: 1 + 3 × (1 + 1 + 1) = 10', '{ order(id: "o1") { placedAt items { product { title card { title priceCents inStock } } } } }', undefined, 10],
  ['partner', 'the README’s partner query: 3 × (1 + 3 × (1 + 1 + 3)) = 48', '{ orders(first: 3) { id status total items { product { id name stock { available } } } } }', undefined, 48],
];

describe('query cost on the demo BFFs', () => {
  it.each(documented)('%s: %s', async (bff, _name, query, variables, cost) => {
    const { body } = await gql(portico.bff(bff).url, query, variables, headers);
    expect((body as { extensions?: unknown }).extensions).toMatchObject({ cost: { estimated: cost, max: 5000 } });
  });

  it('refuses an operation over maxCost with 400 COST_LIMIT_EXCEEDED and the figures, before any source is called', async () => {
    await Promise.all([users.reset(), orders.reset()]);
    const { status, body } = await gql(
      portico.bff('web').url,
      '{ orders(first: 1000) { items { product { stock { available } } } } }',
      undefined,
      headers,
    );
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    // 1000 × (1 + 3 × (1 + 1 + 3))
    expect(body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'COST_LIMIT_EXCEEDED', cost: { estimated: 16_000, max: 5000 } }) }),
    ]);
    expect((await users.stats()).requests).toBe(0);
    expect((await orders.stats()).requests).toBe(0);
  });

  it('prices each request’s variables against one analysis of the document, never caching a refusal', async () => {
    // n × (1 + 3 × (1 + 1 + 3)) = 16n
    const query = 'query ($n: Int) { orders(first: $n) { items { product { stock { available } } } } }';
    const refused = await gql(portico.bff('web').url, query, { n: 1000 }, headers);
    const admitted = await gql(portico.bff('web').url, query, { n: 2 }, headers);
    const refusedAgain = await gql(portico.bff('web').url, query, { n: 400 }, headers);
    expect([refused.status, admitted.status, refusedAgain.status]).toEqual([400, 200, 400]);
    expect((admitted.body as { extensions?: unknown }).extensions).toMatchObject({ cost: { estimated: 32 } });
    expect(refusedAgain.body.errors?.[0]?.extensions).toMatchObject({ cost: { estimated: 6400 } });
  });
});
