import { beforeEach, describe, expect, it } from 'vitest';
import { gql, useDemoGateway } from '../../support/portico.js';
import { findProduct } from '../../../subgraphs/products/data.js';
import { STOCK } from '../../../subgraphs/inventory/data.js';
import { graphql } from 'graphql';
import { bffQuery } from '../../../bench/queries.js';
import { bffReferenceSchema } from '../../../bench/bff/bffReferenceSchema.js';

const demo = useDemoGateway({ idp: true });
const web = () => demo.portico.bff('web').url;
// Orders, stock and warehouses are not public (docs/authorization.md): a caller who may read them.
const signedIn = () => demo.signIn({ sub: 'u1', scopes: ['orders:read', 'inventory:read'] });
beforeEach(async () => {
  await Promise.all(Object.values(demo.subgraphs).map((subgraph) => subgraph.reset()));
});

describe('the web BFF', () => {
  it('answers a query touching users, orders, products and inventory with exactly the expected data', async () => {
    const { status, body } = await gql(web(),
      /* GraphQL */ `
        {
          user(id: "u1") {
            name
            plan
            orders(first: 2) {
              id
              total
              items { quantity product { name priceCents stock { available warehouse } } }
            }
          }
        }
      `,
      undefined,
      await signedIn(),
    );
    expect(status).toBe(200);
    // Figures worked out from the seed data by hand: o1 = 2 × 8.99; o21 = 2 × 28.99 + 3 × 9.99 + 4 × 20.99.
    expect(body).toEqual({
      data: {
        user: {
          name: 'Ada Lovelace',
          plan: 'FREE',
          orders: [
            {
              id: 'o1',
              total: 17.98,
              items: [{ quantity: 2, product: { name: 'Compact Planter', priceCents: 899, stock: { available: 6, warehouse: 'FRA-2' } } }],
            },
            {
              id: 'o21',
              total: 171.91,
              items: [
                { quantity: 2, product: { name: 'Vintage Planter', priceCents: 2899, stock: { available: 21, warehouse: 'AMS-1' } } },
                { quantity: 3, product: { name: 'Compact Kettle', priceCents: 999, stock: { available: 13, warehouse: 'IAD-3' } } },
                { quantity: 4, product: { name: 'Eco Kite', priceCents: 2099, stock: { available: 15, warehouse: 'FRA-2' } } },
              ],
            },
          ],
        },
      },
    });
    // One client round trip; each source was called, none of them per item.
    const [users, orders, products, inventory] = await Promise.all(
      [demo.subgraphs.users, demo.subgraphs.orders, demo.subgraphs.products, demo.subgraphs.inventory].map((s) => s.stats()),
    );
    expect(users!.requests).toBe(1);
    expect(orders!.requests).toBe(1);
    expect(products!.requests).toBe(1);
    expect(inventory!.requests).toBe(4);
  });

  it('answers the README query (and its dashboard) for a bench caller, bench-user-<i>, exactly as bench scenario (e2) expects', async () => {
    // Bench (e2) gives each connection its own user; the demo services answer for them, and the
    // bench fails any answer that differs from its reference.
    const query = bffQuery('bench-user-7');
    const expected = JSON.parse(JSON.stringify((await graphql({ schema: bffReferenceSchema(), source: query })).data)) as Record<string, any>;
    expect(expected['user'].orders.map((order: { id: string }) => order.id)).toEqual(['o-bench-7-1', 'o-bench-7-2']);
    const { status, body } = await gql(web(), query, undefined, await demo.signIn({ sub: 'bench-user-7', tenant: 'bench-tenant-7', scopes: ['orders:read', 'inventory:read'] }));
    expect(status).toBe(200);
    expect(body).toEqual({ data: expected });
  });

  it('fetches 50 orders with products and stock in at most 2 product calls and one inventory call per distinct product', async () => {
    const { body } = await gql<{ orders: { id: string; items: { product: { id: string; name: string; stock: { available: number } } }[] }[] }>(demo.portico.bff('web').url,
      '{ orders(first: 50) { id items { product { id name stock { available } } } } }',
      undefined,
      // 50 orders of many users: an admin's listing (a user's own, @owner-filled, holds 5).
      await demo.signIn({ sub: 'ops-1', roles: ['admin'], scopes: ['orders:read', 'inventory:read'] }),
    );
    expect(body.errors).toBeUndefined();
    const orders = body.data!.orders;
    expect(orders).toHaveLength(50);
    const distinct = new Set<string>();
    for (const order of orders) {
      for (const { product } of order.items) {
        distinct.add(product.id);
        expect(product.name).toBe(findProduct(product.id)!.name);
        expect(product.stock.available).toBe(STOCK.get(product.id)!.available);
      }
    }
    const products = await demo.subgraphs.products.stats();
    const inventory = await demo.subgraphs.inventory.stats();
    expect(products.requests).toBeLessThanOrEqual(2);
    expect(products.byRoute['GET /products/:id'] ?? 0).toBe(0);
    expect(inventory.requests).toBeLessThanOrEqual(distinct.size);
    // inventory has no batch endpoint: the gateway bounds how many per-id calls run at once.
    expect(inventory.maxInFlight).toBeLessThanOrEqual(8);
  });

  it('propagates the client request id to every subgraph it calls and echoes it', async () => {
    // The caller's own user: another user's orders are refused before any call (@owner), and
    // this test needs both sources called.
    const response = await gql(web(), '{ user(id: "u1") { name orders(first: 1) { id } } }', undefined, { 'x-request-id': 'trace-me-42', ...(await signedIn()) });
    expect(response.headers.get('x-request-id')).toBe('trace-me-42');
    for (const subgraph of [demo.subgraphs.users, demo.subgraphs.orders]) {
      const [request] = await subgraph.requests();
      expect(request!.headers['x-request-id']).toBe('trace-me-42');
    }
  });

  it('replaces an unacceptable client request id with a generated one', async () => {
    const response = await gql(web(), '{ user(id: "u2") { name } }', undefined, { 'x-request-id': 'bad id\twith spaces' });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('fans the dashboard out to users, orders and products at the same time', async () => {
    // Hold every source's answer: if the calls were sequential, only one would ever arrive.
    await Promise.all([demo.subgraphs.users, demo.subgraphs.orders, demo.subgraphs.products].map((s) => s.setFaults({ hang: true })));
    const headers = await signedIn();
    // The caller's own dashboard (u1 has 5 orders): another user's is refused before any call (@owner).
    const pending = gql(web(), '{ dashboard(userId: "u1") { user { name } recentOrders { id } featuredProducts { items { id } } } }', undefined, headers);
    await Promise.all([demo.subgraphs.users, demo.subgraphs.orders, demo.subgraphs.products].map((s) => s.waitForStats((x) => x.inFlight === 1)));
    await Promise.all([demo.subgraphs.users, demo.subgraphs.orders, demo.subgraphs.products].map((s) => s.setFaults({ hang: false })));
    const { body } = await pending;
    expect(body.errors).toBeUndefined();
    expect(body.data!.dashboard.user.name).toBeTypeOf('string');
    expect(body.data!.dashboard.recentOrders).toHaveLength(5);
    expect(body.data!.dashboard.featuredProducts.items).toHaveLength(4);
  });
});
