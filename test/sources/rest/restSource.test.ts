import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execute, parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { stitchSchemas } from '@graphql-tools/stitch';
import { buildRestSource } from '../../../src/sources/rest/buildRestSource.js';
import { createHttpClient, type HttpClient } from '../../../src/transport/httpClient.js';
import { createDeferred, startTestServer, type TestReply, type TestServer } from './restTestServer.js';

const productsSdl = readFileSync(new URL('../../../schemas/products.graphql', import.meta.url), 'utf8');
const inventorySdl = readFileSync(new URL('../../../schemas/inventory.graphql', import.meta.url), 'utf8');

const PRODUCT_COUNT = 150;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${i + 1}`);
const product = (id: string) => ({
  id,
  name: `Product ${id}`,
  description: `About ${id}`,
  priceCents: Number(id.slice(1)) * 100,
  category: 'toys',
  sku: `SKU-${id}`,
});
const isKnown = (id: string) => /^p\d+$/.test(id) && Number(id.slice(1)) <= PRODUCT_COUNT;

/** Test knobs: which ids the upstreams fail on, and an optional hold on inventory replies. */
const faults = {
  productStatus: new Map<string, TestReply>(),
  inventoryStatus: new Map<string, TestReply>(),
  holdInventory: undefined as ((id: string) => Promise<void>) | undefined,
};

function productsApi(url: URL): TestReply {
  const byId = /^\/products\/([^/]+)$/.exec(url.pathname);
  if (byId) {
    const id = decodeURIComponent(byId[1] ?? '');
    const fault = faults.productStatus.get(id);
    if (fault) return fault;
    return isKnown(id) ? { status: 200, body: product(id) } : { status: 404, body: { error: 'not_found' } };
  }
  if (url.pathname === '/products' && url.searchParams.has('ids')) {
    const asked = (url.searchParams.get('ids') ?? '').split(',');
    if (asked.length > 100) return { status: 400, body: { error: 'too_many_ids' } };
    return { status: 200, body: asked.map((id) => (isKnown(id) ? product(id) : null)) };
  }
  if (url.pathname === '/products') {
    const page = Number(url.searchParams.get('page') ?? 1);
    const pageSize = Number(url.searchParams.get('pageSize') ?? 10);
    const all = ids(PRODUCT_COUNT);
    return {
      status: 200,
      body: { items: all.slice((page - 1) * pageSize, page * pageSize).map(product), page, pageSize, total: all.length },
    };
  }
  return { status: 404, body: { error: 'not_found' } };
}

async function inventoryApi(url: URL): Promise<TestReply> {
  const match = /^\/inventory\/([^/]+)$/.exec(url.pathname);
  const id = decodeURIComponent(match?.[1] ?? '');
  await faults.holdInventory?.(id);
  const fault = faults.inventoryStatus.get(id);
  if (fault) return fault;
  // p13 is a product inventory does not track.
  if (!isKnown(id) || id === 'p13') return { status: 404, body: { error: 'not_found' } };
  const n = Number(id.slice(1));
  return { status: 200, body: { productId: id, available: n % 5, warehouse: 'AMS-1', updatedAt: '2024-04-01T00:00:00.000Z' } };
}

/** A third source that only references products by id, as orders does in the demo. */
const favourites = {
  schema: makeExecutableSchema({
    typeDefs: 'type Product { id: ID! } type Query { favourites(ids: [ID!]!): [Product!]! }',
    resolvers: { Query: { favourites: (_: unknown, args: { ids: string[] }) => args.ids.map((id) => ({ id })) } },
  }),
};

let products: TestServer;
let inventory: TestServer;
let client: HttpClient;

function gateway(options: { maxConcurrency?: number; maxBatchSize?: number; productsUrl?: string } = {}): GraphQLSchema {
  const { productsUrl, ...limits } = options;
  return stitchSchemas({
    subschemas: [
      buildRestSource({ name: 'products', sdl: productsSdl, baseUrl: productsUrl ?? products.baseUrl, http: client.call, ...limits }),
      buildRestSource({ name: 'inventory', sdl: inventorySdl, baseUrl: inventory.baseUrl, http: client.call, ...limits }),
      favourites,
    ],
  });
}

const newContext = (requestId = 'r1') => ({ portico: { requestId, upstreamHeaders: { 'x-test': '1' } } });

async function run(schema: GraphQLSchema, query: string, context: object = newContext()): Promise<ExecutionResult> {
  return execute({ schema, document: parse(query), contextValue: context });
}

beforeAll(async () => {
  products = await startTestServer(productsApi);
  inventory = await startTestServer(inventoryApi);
  client = createHttpClient();
});

afterAll(async () => {
  await client.close();
  await products.close();
  await inventory.close();
});

beforeEach(() => {
  faults.productStatus.clear();
  faults.inventoryStatus.clear();
  faults.holdInventory = undefined;
  products.reset();
  inventory.reset();
});

describe('REST sources: endpoints', () => {
  it('calls the path template with the argument URL-encoded', async () => {
    const result = await run(gateway(), '{ product(id: "p7") { id name priceCents } weird: product(id: "a b/c?d") { id } }');

    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ product: { id: 'p7', name: 'Product p7', priceCents: 700 }, weird: null });
    expect(products.requests.map((r) => r.url).sort()).toEqual(['/products/a%20b%2Fc%3Fd', '/products/p7']);
  });

  it('maps arguments to query parameters, leaving out null ones', async () => {
    const schema = gateway();
    const result = await run(schema, '{ products(page: 2, pageSize: 3) { page pageSize total items { id } } }');
    await run(schema, '{ products(page: null) { page } }');

    expect(result.data).toEqual({ products: { page: 2, pageSize: 3, total: PRODUCT_COUNT, items: [{ id: 'p4' }, { id: 'p5' }, { id: 'p6' }] } });
    expect(products.requests.map((r) => r.url)).toEqual(['/products?page=2&pageSize=3', '/products?pageSize=10']);
  });

  it('sends x-request-id and the request scope headers on every upstream call', async () => {
    await run(gateway(), '{ favourites(ids: ["p1", "p2"]) { name stock { available } } }', newContext('req-42'));

    const seen = [...products.requests, ...inventory.requests];
    expect(seen).toHaveLength(3);
    for (const request of seen) {
      expect(request.headers['x-request-id']).toBe('req-42');
      expect(request.headers['x-test']).toBe('1');
    }
  });

  it('resolves a nullable field to null, without an error, when the upstream answers 404', async () => {
    const result = await run(gateway(), '{ product(id: "p999") { id } stock(productId: "p13") { available } }');

    expect(result).toEqual({ data: { product: null, stock: null } });
  });
});

describe('REST sources: batching and bounds', () => {
  it('completes 50 referenced products with one batch call and one inventory call per distinct id, at most maxConcurrency at once', async () => {
    expect.assertions(8);
    const maxConcurrency = 5;
    const wanted = ids(50);
    // Hold inventory replies until maxConcurrency calls wait (or every id has arrived), so the
    // bound is reached and any call beyond it would show up in maxInFlight.
    let held: (() => void)[] = [];
    const arrived: string[] = [];
    faults.holdInventory = (id) => {
      const gate = createDeferred<void>();
      held.push(() => gate.resolve());
      arrived.push(id);
      if (held.length === maxConcurrency || arrived.length === wanted.length) {
        const release = held;
        held = [];
        for (const open of release) open();
      }
      return gate.promise;
    };
    // Every id twice: duplicates must not cost extra calls.
    const list = JSON.stringify([...wanted, ...wanted]);

    const result = await run(gateway({ maxConcurrency }), `{ favourites(ids: ${list}) { id name stock { available } } }`);

    expect(result.errors).toBeUndefined();
    const data = result.data as { favourites: { id: string; name: string; stock: { available: number } | null }[] };
    expect(data.favourites).toHaveLength(100);
    expect(data.favourites[49]).toEqual({ id: 'p50', name: 'Product p50', stock: { available: 0 } });
    expect(data.favourites[12]?.stock).toBeNull();
    expect(products.requests.map((r) => r.url)).toEqual([`/products?ids=${wanted.join(',')}`]);
    expect(arrived.sort()).toEqual([...wanted].sort());
    expect(inventory.count('/inventory/')).toBe(50);
    expect(inventory.maxInFlight).toBe(maxConcurrency);
  });

  it('splits a batch bigger than maxBatchSize into ceil(n / maxBatchSize) calls', async () => {
    const result = await run(gateway({ maxBatchSize: 20 }), `{ favourites(ids: ${JSON.stringify(ids(50))}) { name } }`);

    expect(result.errors).toBeUndefined();
    expect(products.count('/products')).toBe(3);
    expect(products.requests.map((r) => r.url.split(',').length)).toEqual([20, 20, 10]);
  });

  it('caps batches at the @batch maxSize of the SDL even when the option allows more', async () => {
    const result = await run(gateway({ maxBatchSize: 500 }), `{ favourites(ids: ${JSON.stringify(ids(120))}) { id name } }`);

    expect(result.errors).toBeUndefined();
    expect(products.count('/products')).toBe(2);
  });

  it('fetches the same URL once per request, however many fields ask for it', async () => {
    const result = await run(gateway(), '{ a: product(id: "p1") { name } b: product(id: "p1") { sku } c: stock(productId: "p1") { available } favourites(ids: ["p1"]) { stock { warehouse } } }');

    expect(result.errors).toBeUndefined();
    expect(products.count('/products/p1')).toBe(1);
    expect(inventory.count('/inventory/p1')).toBe(1);
  });

  it('does not reuse one request\'s responses in the next request', async () => {
    const schema = gateway();
    const query = '{ product(id: "p1") { name } favourites(ids: ["p2"]) { stock { available } } }';

    await run(schema, query, newContext('r1'));
    await run(schema, query, newContext('r2'));

    expect(products.count('/products/p1')).toBe(2);
    expect(inventory.count('/inventory/p2')).toBe(2);
    expect(products.requests.map((r) => r.headers['x-request-id'])).toEqual(['r1', 'r2']);
  });
});

describe('REST sources: errors', () => {
  it('reports a 5xx as SUBGRAPH_ERROR at the field\'s path and keeps the other data', async () => {
    faults.inventoryStatus.set('p2', { status: 503, body: { error: 'down' } });

    const result = await run(gateway(), '{ favourites(ids: ["p1", "p2", "p3"]) { id name stock { available } } }');

    expect(result.data).toEqual({
      favourites: [
        { id: 'p1', name: 'Product p1', stock: { available: 1 } },
        { id: 'p2', name: 'Product p2', stock: null },
        { id: 'p3', name: 'Product p3', stock: { available: 3 } },
      ],
    });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.path).toEqual(['favourites', 1, 'stock']);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_ERROR', source: 'inventory', upstreamStatus: 503 });
    expect(result.errors?.[0]?.message).not.toContain('127.0.0.1');
  });

  it('reports a failure shared by repeated ids at each of their paths (graphql-tools#2950)', async () => {
    faults.inventoryStatus.set('p2', { status: 500, body: {} });

    const result = await run(gateway(), '{ favourites(ids: ["p2", "p1", "p2"]) { stock { available } } }');

    expect(result.data).toEqual({ favourites: [{ stock: null }, { stock: { available: 1 } }, { stock: null }] });
    expect(result.errors?.map((e) => [e.path, e.extensions.code])).toEqual([
      [['favourites', 0, 'stock'], 'SUBGRAPH_ERROR'],
      [['favourites', 2, 'stock'], 'SUBGRAPH_ERROR'],
    ]);
    expect(inventory.count('/inventory/p2')).toBe(1);
  });

  it('reports a 5xx of a root field as SUBGRAPH_ERROR at that field', async () => {
    faults.productStatus.set('p5', { status: 500, body: 'oops' });

    const result = await run(gateway(), '{ product(id: "p5") { id } stock(productId: "p5") { available } }');

    expect(result.data).toEqual({ product: null, stock: { available: 0 } });
    expect(result.errors?.map((e) => [e.path, e.extensions.code])).toEqual([[['product'], 'SUBGRAPH_ERROR']]);
  });

  it('reports a body that is not JSON as SUBGRAPH_BAD_RESPONSE', async () => {
    faults.productStatus.set('p6', { status: 200, body: '{"id": "p6", ' });

    const result = await run(gateway(), '{ product(id: "p6") { id } }');

    expect(result.data).toEqual({ product: null });
    expect(result.errors?.map((e) => [e.path, e.extensions.code, e.extensions.source])).toEqual([
      [['product'], 'SUBGRAPH_BAD_RESPONSE', 'products'],
    ]);
  });

  it('reports JSON of the wrong shape (a list where an object belongs) as SUBGRAPH_BAD_RESPONSE', async () => {
    faults.productStatus.set('p8', { status: 200, body: [product('p8')] });

    const result = await run(gateway(), '{ product(id: "p8") { id } }');

    expect(result.errors?.map((e) => e.extensions.code)).toEqual(['SUBGRAPH_BAD_RESPONSE']);
  });

  it('passes transport errors through with their code', async () => {
    const closed = await startTestServer(() => ({ status: 200, body: {} }));
    await closed.close();

    const result = await run(gateway({ productsUrl: closed.baseUrl }), '{ product(id: "p1") { id } stock(productId: "p1") { available } }');

    expect(result.data).toEqual({ product: null, stock: { available: 1 } });
    expect(result.errors?.map((e) => [e.path, e.extensions.code, e.extensions.source])).toEqual([
      [['product'], 'SUBGRAPH_UNAVAILABLE', 'products'],
    ]);
  });
});

describe('REST sources: the stitched schema', () => {
  it('merges Product from both sources through the generated _productsByIds root fields', () => {
    const products = buildRestSource({ name: 'products', sdl: productsSdl, baseUrl: 'http://unused', http: client.call });
    const inventory = buildRestSource({ name: 'inventory', sdl: inventorySdl, baseUrl: 'http://unused', http: client.call });

    expect(products.merge?.Product).toMatchObject({ selectionSet: '{ id }', fieldName: '_productsByIds' });
    expect(products.merge?.Product?.argsFromKeys?.(['p1'])).toEqual({ ids: ['p1'] });
    expect(inventory.merge?.Product).toMatchObject({ selectionSet: '{ id }', fieldName: '_productsByIds' });
    expect(Object.keys(gateway().getQueryType()?.getFields() ?? {}).sort()).toEqual([
      '_productsByIds',
      'favourites',
      'product',
      'products',
      'stock',
    ]);
  });

  it('exposes none of the engine\'s directives', () => {
    const schema = gateway();

    expect(['rest', 'map', 'key', 'batch'].filter((name) => schema.getDirective(name))).toEqual([]);
    expect(schema.getType('RestQuery')).toBeUndefined();
  });

  it('renames JSON properties with @map, in fields and in parent placeholders', async () => {
    const source = buildRestSource({
      name: 'catalogue',
      sdl: `
        type Item {
          code: ID! @map(from: "id")
          title: String! @map(from: "name")
          stock: Int @rest(path: "/inventory/{parent.code}")
        }
        type Query { item(code: ID!): Item @rest(path: "/products/{args.code}") }
      `,
      baseUrl: products.baseUrl,
      http: async (request) =>
        request.url.includes('/inventory/') ? { status: 200, headers: {}, body: '7' } : client.call(request),
    });

    const result = await run(source.schema, '{ item(code: "p3") { code title stock } }');

    expect(result).toEqual({ data: { item: { code: 'p3', title: 'Product p3', stock: 7 } } });
  });
});
