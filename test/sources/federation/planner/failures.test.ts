import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFixtureSupergraph, startFederationFixture, type FederationFixture } from '../../../support/federationFixture.js';
import { freePort } from '../../../support/redis.js';
import { federationGateway, httpExecutors, type FederationGateway } from '../federationGateway.js';
import { createHttpClient } from '../../../../src/transport/httpClient.js';
import { porticoError } from '../../../../src/errors/index.js';

// How the planner engine fails: partial data, with each error at the client's exact path, as
// graphql-js would put it. The shop fixture's inventory fails for the couch (p2): `warehouse`
// (nullable) and `stockCount` (non-null); reviews' `rating` (non-null) fails for r3.
let fixture: FederationFixture;
/** Every subgraph up. */
let healthy: FederationGateway;
/** accounts and inventory behind a closed port: nothing listens there, connections are refused. */
let partlyDown: FederationGateway;
/** products behind a closed port: the price and weight inventory @requires cannot be had. */
let productsDown: FederationGateway;
/** accounts alone behind a closed port. */
let accountsDown: FederationGateway;

beforeAll(async () => {
  fixture = await startFederationFixture('shop');
  const closed = `http://127.0.0.1:${await freePort()}/graphql`;
  healthy = federationGateway(fixture.supergraphSdl, 'planner');
  partlyDown = federationGateway(composeFixtureSupergraph('shop', { ...fixture.urls, accounts: closed, inventory: closed }), 'planner');
  productsDown = federationGateway(composeFixtureSupergraph('shop', { ...fixture.urls, products: closed }), 'planner');
  accountsDown = federationGateway(composeFixtureSupergraph('shop', { ...fixture.urls, accounts: closed }), 'planner');
});

afterAll(async () => {
  await Promise.all([healthy, partlyDown, productsDown, accountsDown].map((gateway) => gateway?.close()));
  await fixture?.stop();
});

/** Runs through the planner, failing the test if the planner handed the query to stitching. */
async function planned(gateway: FederationGateway, query: string) {
  gateway.fallbacks.length = 0;
  const { result, calls } = await gateway.run(query);
  expect(gateway.fallbacks).toEqual([]);
  return { result: JSON.parse(JSON.stringify(result)) as Record<string, unknown>, calls };
}

const unavailable = (source: string, path: (string | number)[]) => ({
  message: 'A data source is unavailable.',
  locations: expect.any(Array),
  path,
  extensions: { code: 'SUBGRAPH_UNAVAILABLE', http: { status: 502 }, source },
});

describe('the planner when a subgraph is down', () => {
  it('nulls each field the unreachable subgraph was to fill, with SUBGRAPH_UNAVAILABLE at its exact path, and keeps the rest', async () => {
    const { result, calls } = await planned(partlyDown, '{ topProducts(first: 2) { name warehouse } me { name } }');
    expect(result).toEqual({
      data: {
        topProducts: [
          { name: 'Table', warehouse: null },
          { name: 'Couch', warehouse: null },
        ],
        me: null,
      },
      errors: [
        unavailable('inventory', ['topProducts', 0, 'warehouse']),
        unavailable('inventory', ['topProducts', 1, 'warehouse']),
        unavailable('accounts', ['me']),
      ],
    });
    // One attempt per fetch: the failed entity fetch is not repeated per product.
    expect(calls).toEqual({ products: 1, inventory: 1, accounts: 1 });
  });

  it('runs a fetch merged across two parents for the parent that answered when the other failed', async () => {
    const query = '{ me { reviews { product { price } } } topProducts { reviews { product { price } } } }';
    const whole = (await planned(healthy, query)).result as { data: { me: unknown; topProducts: unknown } };
    expect(whole.data.me).not.toBeNull();
    const { result, calls } = await planned(accountsDown, query);
    expect(result).toEqual({ data: { me: null, topProducts: whole.data.topProducts }, errors: [unavailable('accounts', ['me'])] });
    // topProducts, then one price fetch for the products under both root fields.
    expect(calls.products).toBe(2);
  });

  it('reports the code at each entity below lists of lists, under the right indexes', async () => {
    const { result } = await planned(partlyDown, '{ shelves { upc warehouse } }');
    expect(result).toEqual({
      data: {
        shelves: [
          [
            { upc: 'p1', warehouse: null },
            { upc: 'p3', warehouse: null },
          ],
          [{ upc: 'p2', warehouse: null }],
        ],
      },
      errors: [
        unavailable('inventory', ['shelves', 0, 0, 'warehouse']),
        unavailable('inventory', ['shelves', 0, 1, 'warehouse']),
        unavailable('inventory', ['shelves', 1, 0, 'warehouse']),
      ],
    });
  });

  it('propagates a non-null field of the unreachable subgraph to the nearest nullable parent, with the code', async () => {
    const { result } = await planned(partlyDown, '{ product(upc: "p1") { name inStock } topProducts(first: 1) { upc } }');
    expect(result).toEqual({
      data: { product: null, topProducts: [{ upc: 'p1' }] },
      errors: [unavailable('inventory', ['product', 'inStock'])],
    });
  });

  // The fetch supplying the key or @requires data failed: the fields waiting for it carry its error.
  it('reports the code of the subgraph that supplies @requires data at the requiring field when it is down', async () => {
    const { result } = await planned(productsDown, '{ review(id: "r1") { body product { warehouse shippingEstimate } } }');
    // warehouse shares the inventory fetch, which could not be sent: it fails too, then
    // shippingEstimate (non-null) takes the review down.
    expect(result).toEqual({
      data: { review: null },
      errors: [
        unavailable('products', ['review', 'product', 'warehouse']),
        unavailable('products', ['review', 'product', 'shippingEstimate']),
      ],
    });
  });
});

describe('the planner when a subgraph raises errors', () => {
  it('puts an error raised inside _entities at the client path of the entity that raised it', async () => {
    const { result } = await planned(healthy, '{ me { reviews { product { upc warehouse } } } }');
    expect(result).toEqual({
      data: {
        me: {
          reviews: [{ product: { upc: 'p1', warehouse: 'Leeds' } }, { product: { upc: 'p2', warehouse: null } }],
        },
      },
      errors: [{ message: 'no warehouse holds p2', locations: expect.any(Array), path: ['me', 'reviews', 1, 'product', 'warehouse'] }],
    });
  });

  it('propagates a non-null field left null inside _entities to the nearest nullable ancestor, as graphql-js does', async () => {
    const { result } = await planned(healthy, '{ me { name reviews { product { stockCount } } } topProducts(first: 1) { upc } }');
    expect(result).toEqual({
      // reviews, review and product are all non-null: `me` is the nearest nullable ancestor.
      data: { me: null, topProducts: [{ upc: 'p1' }] },
      errors: [{ message: 'no stock count for p2', locations: expect.any(Array), path: ['me', 'reviews', 1, 'product', 'stockCount'] }],
    });
  });

  it('answers data: null when no ancestor of the failed non-null field is nullable', async () => {
    const { result } = await planned(healthy, '{ topProducts { upc stockCount } }');
    expect(result).toEqual({
      data: null,
      errors: [{ message: 'no stock count for p2', locations: expect.any(Array), path: ['topProducts', 1, 'stockCount'] }],
    });
  });

  // A subgraph that nulls an entity for one failed non-null field: graphql-js may meet a sibling
  // field first, so every field of the fetch carries the subgraph's reason, at the subgraph's path.
  it('keeps the subgraph\'s reason when a non-null failure nulls an entity whose other fields came first', async () => {
    const { result } = await planned(healthy, '{ product(upc: "p2") { name inStock stockCount } }');
    expect(result).toEqual({
      data: { product: null },
      errors: [expect.objectContaining({ message: 'no stock count for p2', path: ['product', 'stockCount'] })],
    });
  });

  // An error whose path runs through an object or list the subgraph nulled keeps its whole path.
  it('puts a root fetch\'s error at the field that failed when the subgraph nulled its nullable parent', async () => {
    const { result } = await planned(healthy, '{ review(id: "r3") { body rating } }');
    expect(result).toEqual({
      data: { review: null },
      errors: [expect.objectContaining({ message: 'review r3 has no rating', path: ['review', 'rating'] })],
    });
  });

  it('puts a root fetch\'s error at the list item that failed when the subgraph nulled the whole answer', async () => {
    const { result } = await planned(healthy, '{ topReviews(first: 3) { body rating } }');
    expect(result).toEqual({
      data: null,
      errors: [expect.objectContaining({ message: 'review r3 has no rating', path: ['topReviews', 2, 'rating'] })],
    });
  });

  it('puts an entity fetch\'s error at the list item that failed when the subgraph nulled the entity', async () => {
    const { result } = await planned(healthy, '{ user(id: "u2") { name reviews { rating } } }');
    expect(result).toEqual({
      data: { user: null },
      errors: [expect.objectContaining({ message: 'review r3 has no rating', path: ['user', 'reviews', 0, 'rating'] })],
    });
  });
});

describe('the planner when the client leaves while its plan runs', () => {
  // The inventory call is where the client hangs up: the request's signal aborts, and the call
  // fails as the transport fails a call whose caller left.
  const leavingAt = (controller: AbortController | undefined) => {
    const http = createHttpClient();
    const real = httpExecutors(http);
    const gateway = federationGateway(fixture.supergraphSdl, 'planner', {
      executorFor: (subgraph) =>
        subgraph.name === 'inventory'
          ? () => {
              controller?.abort();
              throw porticoError('SUBGRAPH_UNAVAILABLE', { details: { source: 'inventory' } });
            }
          : real(subgraph),
    });
    return { gateway, close: async () => (await gateway.close(), await http.close()) };
  };
  const query = '{ topProducts(first: 2) { name warehouse } shelves { upc warehouse } }';

  it('answers with one error instead of shaping an answer nobody reads, an error per empty field', async () => {
    const controller = new AbortController();
    const { gateway, close } = leavingAt(controller);
    const { result } = await gateway.run(query, undefined, controller.signal);
    await close();
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      errors: [{ message: 'A data source is unavailable.', extensions: { code: 'SUBGRAPH_UNAVAILABLE', http: { status: 502 } } }],
    });
  });

  it('still answers a client that stayed with partial data and an error at each empty field', async () => {
    const { gateway, close } = leavingAt(undefined);
    const { result } = await gateway.run(query, undefined, new AbortController().signal);
    await close();
    const errors = (result.errors ?? []).map((error) => error.path?.join('.'));
    expect(result.data?.['topProducts']).toEqual([
      { name: 'Table', warehouse: null },
      { name: 'Couch', warehouse: null },
    ]);
    expect(errors).toContain('topProducts.0.warehouse');
    expect(errors.length).toBeGreaterThan(2);
  });
});

