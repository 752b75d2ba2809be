import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSubgraph, type SubgraphHandle } from '../support/subgraphs.js';

let products: SubgraphHandle;
beforeAll(async () => {
  products = await startSubgraph('products');
});
afterAll(() => products.release());
beforeEach(() => products.reset());

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${products.url}${path}`);
  return { status: response.status, body: await response.json() };
}

describe('products subgraph (REST)', () => {
  it('serves one product by id, priced at j*100+99 cents', async () => {
    const { status, body } = await get('/products/p7');
    expect(status).toBe(200);
    expect(body).toEqual({
      id: 'p7',
      name: 'Compact Notebook',
      description: 'Compact Notebook, item 7 of the books range.',
      priceCents: 799,
      category: 'books',
      sku: 'SKU-0007',
    });
  });

  it('answers 404 with error not_found for an unknown id', async () => {
    expect(await get('/products/p31')).toEqual({ status: 404, body: { error: 'not_found' } });
  });

  it('answers the batch endpoint in the order the ids were asked, with null for unknown ids', async () => {
    const { status, body } = await get('/products?ids=p3,nope,p1,p3');
    expect(status).toBe(200);
    expect(body.map((p: { id: string } | null) => p?.id ?? null)).toEqual(['p3', null, 'p1', 'p3']);
  });

  it('rejects a batch of more than 100 ids with 400', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `p${i + 1}`).join(',');
    expect(await get(`/products?ids=${ids}`)).toEqual({
      status: 400,
      body: { error: 'too_many_ids', max: 100, got: 101 },
    });
  });

  it('pages the catalogue from page 1, 10 per page by default', async () => {
    const first = await get('/products');
    expect(first.body).toMatchObject({ page: 1, pageSize: 10, total: 30 });
    expect(first.body.items.map((p: { id: string }) => p.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `p${i + 1}`),
    );
    const last = await get('/products?page=3&pageSize=12');
    expect(last.body.items.map((p: { id: string }) => p.id)).toEqual(['p25', 'p26', 'p27', 'p28', 'p29', 'p30']);
  });

  it('rejects a pageSize above 50 and a page below 1', async () => {
    expect((await get('/products?pageSize=51')).status).toBe(400);
    expect((await get('/products?page=0')).status).toBe(400);
  });

  it('counts batch and list calls under separate routes', async () => {
    await get('/products?ids=p1');
    await get('/products?page=2');
    await get('/products/p1');
    const stats = await products.stats();
    expect(stats.byRoute).toEqual({ 'GET /products?ids': 1, 'GET /products': 1, 'GET /products/:id': 1 });
  });
});
