import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { shop } from '../../../fixtures/federation/shop/index.js';
import { composeFixtureSupergraph } from '../../../support/federationFixture.js';
import { inProcessSubgraphs } from '../../../support/inProcessSubgraphs.js';
import { federationGateway, type FederationGatewayOptions } from '../federationGateway.js';

// Issue 17 item 5: the planner's cache is bounded in entries and bytes, and a document that
// would cost too much to plan is refused with a code before any subgraph call. Subgraphs run in
// process: what is asserted is which calls were made and what was answered, never wall time.
const supergraphSdl = composeFixtureSupergraph('shop');

function plannerGateway(limits: FederationGatewayOptions['planner'] = {}) {
  const subgraphs = inProcessSubgraphs(shop);
  const gateway = federationGateway(supergraphSdl, 'planner', { executorFor: subgraphs.executorFor, planner: limits });
  return { gateway, documents: subgraphs.documents };
}

/** `fragment F<k>` selects `F<k-1>` under two aliases: spread in a query, it expands to 2^k copies. */
function fanOut(levels: number): string {
  const fragments = ['fragment F0 on Product { upc }'];
  for (let level = 1; level <= levels; level++) {
    fragments.push(`fragment F${level} on Product { a: reviews { product { ...F${level - 1} } } b: reviews { product { ...F${level - 1} } } }`);
  }
  return `query FanOut { topProducts(first: 1) { ...F${levels} } } ${fragments.join(' ')}`;
}

const refused = (limit: 'fields' | 'depth', max: number) => ({
  errors: [
    {
      message: 'The query expands to more fields than this gateway plans.',
      extensions: { code: 'QUERY_PLAN_TOO_LARGE', http: { status: 400 }, plan: { limit, max } },
    },
  ],
});

describe('planner guardrails: a document too large to plan', () => {
  it('refuses a fragment fan-out (2^20 fields from a 2 KB document) with QUERY_PLAN_TOO_LARGE and calls no subgraph', async () => {
    const { gateway } = plannerGateway();
    const { result, calls } = await gateway.run(fanOut(20));
    expect(JSON.parse(JSON.stringify(result))).toEqual(refused('fields', 20_000));
    expect(calls).toEqual({});
    // Refused, not handed to stitching: stitching would expand it too, on every request.
    expect(gateway.fallbacks).toEqual([]);
    await gateway.close();
  });

  it('refuses the same document again from the cache, still without a subgraph call', async () => {
    const { gateway } = plannerGateway();
    const document = parse(fanOut(16));
    for (let attempt = 0; attempt < 2; attempt++) {
      const { result, calls } = await gateway.run(document);
      expect(result.errors?.[0]?.extensions?.code).toBe('QUERY_PLAN_TOO_LARGE');
      expect(calls).toEqual({});
    }
    await gateway.close();
  });

  it('refuses thousands of fields beyond the budget, and plans as many within it', async () => {
    const { gateway } = plannerGateway({ planBudget: { maxFields: 3000 } });
    const fields = (count: number) => Array.from({ length: count }, (_, index) => `f${index}: upc`).join(' ');
    const over = await gateway.run(`{ topProducts(first: 1) { ${fields(3000)} } }`);
    expect(JSON.parse(JSON.stringify(over.result))).toEqual(refused('fields', 3000));
    expect(over.calls).toEqual({});

    // 2 999 fields and topProducts: exactly the budget, planned into one fetch.
    const within = await gateway.run(`{ topProducts(first: 1) { ${fields(2999)} } }`);
    expect(within.calls).toEqual({ products: 1 });
    expect(Object.keys((within.result.data?.topProducts as Record<string, unknown>[])[0]!)).toHaveLength(2999);
    expect((within.result.data?.topProducts as Record<string, unknown>[])[0]!.f2998).toBe('p1');
    await gateway.close();
  });

  it('refuses fragments nested 500 deep (a chain, no fan-out) by the depth budget, calling no subgraph', async () => {
    const { gateway } = plannerGateway();
    const chain = Array.from({ length: 500 }, (_, level) => `fragment C${level} on Product { ${level === 499 ? 'upc' : `...C${level + 1}`} }`);
    const { result, calls } = await gateway.run(`{ topProducts(first: 1) { ...C0 } } ${chain.join(' ')}`);
    expect(JSON.parse(JSON.stringify(result))).toEqual(refused('depth', 200));
    expect(calls).toEqual({});
    await gateway.close();
  });

  it('plans a fragment spread twice at every level once per level, as graphql-js collects it', async () => {
    const { gateway } = plannerGateway();
    // ...D<k-1> twice in each of 40 levels: 2^40 if expanded naively, 41 fields collected once.
    const levels = Array.from({ length: 40 }, (_, level) => `fragment D${level + 1} on Product { ...D${level} ...D${level} }`);
    const { result, calls } = await gateway.run(`{ topProducts(first: 2) { ...D40 } } fragment D0 on Product { upc name } ${levels.join(' ')}`);
    expect(result).toEqual({ data: { topProducts: [{ upc: 'p1', name: 'Table' }, { upc: 'p2', name: 'Couch' }] } });
    expect(calls).toEqual({ products: 1 });
    expect(gateway.fallbacks).toEqual([]);
    await gateway.close();
  });
});

describe('planner guardrails: the plan cache', () => {
  const query = (index: number) => parse(`query Q${index} { topProducts(first: 1) { upc } }`);

  it('keeps at most maxEntries plans across documents, least recently used out first', async () => {
    const { gateway, documents } = plannerGateway({ planCache: { maxEntries: 3 } });
    const queries = [0, 1, 2, 3, 4].map(query);
    for (const document of queries) await gateway.run(document);
    const firstPass = [...documents];
    documents.length = 0;
    // The last three are cached: the very same fetch documents are sent again.
    for (const document of queries.slice(2)) await gateway.run(document);
    expect(documents).toEqual(firstPass.slice(2));
    for (let index = 0; index < 3; index++) expect(documents[index]).toBe(firstPass[index + 2]);
    // The first two were evicted: planned anew, so new fetch documents.
    documents.length = 0;
    await gateway.run(queries[0]!);
    expect(documents[0]).not.toBe(firstPass[0]);
    expect(documents[0]).toEqual(firstPass[0]);
    await gateway.close();
  });

  /** The bytes the cache counts for a one-fetch plan: 512 + 16 × the printed fetch. */
  async function weightOf(document: ReturnType<typeof parse>): Promise<number> {
    const { gateway, documents } = plannerGateway();
    await gateway.run(document);
    await gateway.close();
    expect(documents).toHaveLength(1);
    return 512 + 16 * print(documents[0]!).length;
  }
  const named = (name: string, fields: number) =>
    parse(`query ${name} { topProducts(first: 1) { ${Array.from({ length: fields }, (_, i) => `n${i}: name`).join(' ')} } }`);

  it('keeps plans within maxBytes: a plan larger than the whole budget is never kept', async () => {
    const large = named('Large', 40);
    const small = named('Small', 1);
    const maxBytes = (await weightOf(large)) - 1;
    expect(await weightOf(small)).toBeLessThan(maxBytes);
    const { gateway, documents } = plannerGateway({ planCache: { maxBytes } });
    await gateway.run(large);
    await gateway.run(small);
    const [largeFetch, smallFetch] = documents;
    documents.length = 0;
    await gateway.run(large);
    await gateway.run(small);
    expect(documents[0]).not.toBe(largeFetch);
    expect(documents[1]).toBe(smallFetch);
    await gateway.close();
  });

  it('evicts by bytes before entries: two plans that each fit do not fit together', async () => {
    const [a, b] = [named('A', 12), named('B', 12)];
    const weight = await weightOf(a);
    const { gateway, documents } = plannerGateway({ planCache: { maxBytes: Math.floor(weight * 1.5), maxEntries: 100 } });
    await gateway.run(a);
    await gateway.run(b);
    const [aFetch, bFetch] = documents;
    documents.length = 0;
    await gateway.run(b);
    await gateway.run(a);
    // b was kept (it pushed a out); a is planned anew.
    expect(documents[0]).toBe(bFetch);
    expect(documents[1]).not.toBe(aFetch);
    await gateway.close();
  });
});
