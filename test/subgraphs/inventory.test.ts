import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraph, type SubgraphHandle } from '../support/subgraphs.js';

let inventory: SubgraphHandle;
beforeAll(async () => {
  inventory = await startSubgraph('inventory');
});
afterAll(() => inventory.release());

describe('inventory subgraph (REST, per id only)', () => {
  it('serves the stock of one product, (j*7)%25 available', async () => {
    const response = await fetch(`${inventory.url}/inventory/p4`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      productId: 'p4',
      available: 3,
      warehouse: 'AMS-1',
      updatedAt: '2024-04-01T00:04:00.000Z',
    });
  });

  it('reports p25 out of stock', async () => {
    const response = await fetch(`${inventory.url}/inventory/p25`);
    expect(await response.json()).toMatchObject({ productId: 'p25', available: 0 });
  });

  it('answers 404 with error not_found for an unknown product', async () => {
    const response = await fetch(`${inventory.url}/inventory/p0`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found' });
  });

  it('has no batch endpoint', async () => {
    const response = await fetch(`${inventory.url}/inventory?ids=p1,p2`);
    expect(response.status).toBe(404);
  });
});
