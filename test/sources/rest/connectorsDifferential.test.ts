import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { stitchSchemas } from '@graphql-tools/stitch';
import { buildRestSource } from '../../../src/sources/rest/buildRestSource.js';
import { createHttpClient, type HttpClient } from '../../../src/transport/httpClient.js';
import { startProductsSubgraph } from '../../../subgraphs/products/server.js';
import type { RunningSubgraph } from '../../../subgraphs/shared/serveSubgraph.js';
import type { RecordedRequest } from '../../../subgraphs/shared/requestLog.js';

// The demo products service, called once through its @rest schema and once through the same
// source written with Apollo Connectors: every query must give the same answer with the same
// calls, counted at the service.
const fixture = (file: string) => readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8');
const restSdl = fixture('products.rest.graphql');
const connectSdl = fixture('products.connect.graphql');

/** A source that only references products by id, as orders does: it makes stitching merge in batches. */
const favourites = {
  schema: makeExecutableSchema({
    typeDefs: 'type Product { id: ID! } type Query { favourites(ids: [ID!]!): [Product]! }',
    resolvers: { Query: { favourites: (_: unknown, args: { ids: string[] }) => args.ids.map((id) => ({ id })) } },
  }),
};

let products: RunningSubgraph;
let client: HttpClient;

function gateway(sdl: string, maxBatchSize: number): GraphQLSchema {
  return stitchSchemas({
    subschemas: [
      buildRestSource({ name: 'products', sdl, baseUrl: products.url, http: client.call, maxBatchSize, file: 'products.connect.graphql' }),
      favourites,
    ],
  });
}

async function admin<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const response = await fetch(`${products.baseUrl}/__admin/${path}`, { method });
  return (await response.json()) as T;
}

/** Runs a query and returns its answer with the calls the service received for it. */
async function observe(schema: GraphQLSchema, query: string): Promise<{ result: ExecutionResult; calls: string[]; byRoute: Record<string, number>; requests: RecordedRequest[] }> {
  await admin('POST', 'reset');
  const result = await execute({
    schema,
    document: parse(query),
    contextValue: { portico: { requestId: 'diff-1', upstreamHeaders: { 'x-portico-identity': 'signed' } } },
  });
  const requests = await admin<RecordedRequest[]>('GET', 'requests');
  const { byRoute } = await admin<{ byRoute: Record<string, number> }>('GET', 'stats');
  return { result: JSON.parse(JSON.stringify(result)) as ExecutionResult, calls: requests.map((r) => `${r.method} ${r.path}`).sort(), byRoute, requests };
}

const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `"p${from + i}"`).join(', ');

const QUERIES: Record<string, string> = {
  'one product by id': '{ product(id: "p3") { id name description priceCents category sku } }',
  'an unknown id (404 → null)': '{ product(id: "p999") { id name } }',
  'a page, query parameters from arguments': '{ products(page: 2, pageSize: 5) { page pageSize total items { id name sku } } }',
  'argument defaults': '{ products { page pageSize total items { id } } }',
  'the same URL asked twice in one request': '{ a: product(id: "p1") { name } b: product(id: "p1") { sku } }',
  '$this: a field below the root': '{ product(id: "p2") { self { id self { name priceCents } } } }',
  '$this for every item of a page': '{ products(pageSize: 4) { items { id self { sku } } } }',
  'batched entity lookups, duplicates folded': '{ favourites(ids: ["p1", "p2", "p1", "p7"]) { id name priceCents } }',
  'batched entity lookups with an unknown key': '{ favourites(ids: ["p4", "nope", "p5"]) { id name } }',
  'batched entity lookups split by maxBatchSize': `{ favourites(ids: [${ids(1, 30)}]) { id category } }`,
  'batched lookups next to $this calls': '{ favourites(ids: ["p8", "p9"]) { name self { id } } }',
};

beforeAll(async () => {
  products = await startProductsSubgraph();
  client = createHttpClient();
});

afterAll(async () => {
  await client.close();
  await products.close();
});

describe('Apollo Connectors SDL and @rest run the demo products source alike', () => {
  // maxBatchSize 7 makes the 30-id lookup take 5 calls, so chunking is compared too.
  const restGateway = () => gateway(restSdl, 7);
  const connectGateway = () => gateway(connectSdl, 7);

  it.each(Object.entries(QUERIES))('%s: same answer, same calls', async (_name, query) => {
    const viaRest = await observe(restGateway(), query);
    const viaConnect = await observe(connectGateway(), query);
    expect(viaConnect.result).toEqual(viaRest.result);
    expect(viaConnect.calls).toEqual(viaRest.calls);
    expect(viaConnect.byRoute).toEqual(viaRest.byRoute);
    expect(viaRest.calls.length).toBeGreaterThan(0);
  });

  it('counts what the batching should cost (figures)', async () => {
    const lookups = await observe(connectGateway(), QUERIES['batched entity lookups split by maxBatchSize']!);
    expect(lookups.byRoute).toEqual({ 'GET /products?ids': 5 });
    expect(lookups.result.errors).toBeUndefined();
    const folded = await observe(connectGateway(), QUERIES['batched entity lookups, duplicates folded']!);
    expect(folded.calls).toEqual(['GET /products?ids=p1,p2,p7']);
    const perItem = await observe(connectGateway(), QUERIES['$this for every item of a page']!);
    expect(perItem.byRoute).toEqual({ 'GET /products': 1, 'GET /products/:id': 4 });
  });

  it('sends the @source and @connect headers, never over the identity headers or the request id', async () => {
    const { requests } = await observe(connectGateway(), '{ product(id: "p1") { name } products(pageSize: 1) { total } }');
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.headers['x-api-client']).toBe('portico-connectors');
      expect(request.headers['x-portico-identity']).toBe('signed');
      expect(request.headers['x-request-id']).toBe('diff-1');
    }
    const page = requests.find((r) => r.path !== '/products/p1')!;
    expect(page.headers['x-listing']).toBe('page');
    expect(requests.find((r) => r.path === '/products/p1')!.headers['x-listing']).toBeUndefined();
  });
});
