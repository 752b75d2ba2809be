import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { bffReferenceSchema } from '../../bench/bff/bffReferenceSchema.js';
import { BFF_QUERY, bffQuery } from '../../bench/queries.js';

// Scenario (e) fails every response that differs from this reference, so the reference itself
// must be right: the figures below are the ones test/e2e/foundation/fourSources.test.ts worked
// out by hand from the seed data for the web BFF's README query.
describe('the reference answer of bench scenario (e)', () => {
  it('answers the web BFF README query with the hand-checked figures', async () => {
    const result = await graphql({ schema: bffReferenceSchema(), source: BFF_QUERY });
    expect(result.errors).toBeUndefined();
    expect(JSON.parse(JSON.stringify(result.data))).toEqual({
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
      // u1's five orders (every 20th from o1) and the catalogue's first page of four.
      dashboard: {
        user: { name: 'Ada Lovelace' },
        recentOrders: [
          { id: 'o1', status: 'PENDING' },
          { id: 'o21', status: 'PENDING' },
          { id: 'o41', status: 'PENDING' },
          { id: 'o61', status: 'PENDING' },
          { id: 'o81', status: 'PENDING' },
        ],
        featuredProducts: { items: [{ name: 'Classic Headphones' }, { name: 'Classic Notebook' }, { name: 'Classic Planter' }, { name: 'Classic Kettle' }] },
      },
    });
  });

  it('answers scenario (e2)\'s per-connection users from the demo data: each bench user its own name and orders', async () => {
    const answer = async (userId: string) => {
      const result = await graphql({ schema: bffReferenceSchema(), source: bffQuery(userId) });
      expect(result.errors).toBeUndefined();
      return JSON.parse(JSON.stringify(result.data)) as { user: { name: string; plan: string; orders: { id: string }[] }; dashboard: { user: { name: string }; recentOrders: { id: string; status: string }[] } };
    };
    const third = await answer('bench-user-3');
    expect(third.user).toMatchObject({ name: 'Bench User 3', plan: 'ENTERPRISE' });
    expect(third.user.orders.map((order) => order.id)).toEqual(['o-bench-3-1', 'o-bench-3-2']);
    expect(third.dashboard.user).toEqual({ name: 'Bench User 3' });
    expect(third.dashboard.recentOrders.map((order) => order.id)).toEqual(['o-bench-3-1', 'o-bench-3-2', 'o-bench-3-3']);
    // Another user's answer differs wherever it names the user or their orders.
    const fiftieth = await answer('bench-user-50');
    expect(fiftieth.user.name).toBe('Bench User 50');
    expect(fiftieth.user.orders.map((order) => order.id)).toEqual(['o-bench-50-1', 'o-bench-50-2']);
    // Not a bench user: no data, as for any unknown id.
    expect((await graphql({ schema: bffReferenceSchema(), source: bffQuery('bench-user-0') })).data?.['user']).toBeNull();
  });
});
