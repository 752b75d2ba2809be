import { json, restApp } from '../shared/restApp.js';
import { serveSubgraph, type RunningSubgraph, type SubgraphOptions } from '../shared/serveSubgraph.js';
import { findProduct, PRODUCTS } from './data.js';

/** Bounds one batch call, so a gateway that forgets to chunk its DataLoader batches finds out here. */
export const MAX_BATCH_IDS = 100;
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 50;

export function productsApp() {
  return restApp([
    {
      method: 'GET',
      pattern: '/products/:id',
      handle: ({ id }) => {
        const product = id === undefined ? undefined : findProduct(id);
        return product ? json(200, product) : json(404, { error: 'not_found' });
      },
    },
    {
      method: 'GET',
      pattern: '/products',
      key: 'GET /products?ids',
      when: (url) => url.searchParams.has('ids'),
      handle: (_, url) => {
        const ids = (url.searchParams.get('ids') ?? '').split(',').filter((id) => id !== '');
        if (ids.length > MAX_BATCH_IDS) {
          return json(400, { error: 'too_many_ids', max: MAX_BATCH_IDS, got: ids.length });
        }
        return json(200, ids.map((id) => findProduct(id) ?? null));
      },
    },
    {
      method: 'GET',
      pattern: '/products',
      handle: (_, url) => {
        const page = intParam(url, 'page', 1);
        const pageSize = intParam(url, 'pageSize', DEFAULT_PAGE_SIZE);
        if (page === undefined || page < 1) return json(400, { error: 'invalid_page' });
        if (pageSize === undefined || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
          return json(400, { error: 'invalid_page_size', max: MAX_PAGE_SIZE });
        }
        const start = (page - 1) * pageSize;
        return json(200, { items: PRODUCTS.slice(start, start + pageSize), page, pageSize, total: PRODUCTS.length });
      },
    },
  ]);
}

/** The parameter as an integer, the fallback when absent, undefined when malformed. */
function intParam(url: URL, name: string, fallback: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  return Number.isInteger(value) ? value : undefined;
}

export function startProductsSubgraph(options: SubgraphOptions = {}): Promise<RunningSubgraph> {
  return serveSubgraph('products', productsApp(), options);
}
