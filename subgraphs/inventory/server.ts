import { json, restApp } from '../shared/restApp.js';
import { serveSubgraph, type RunningSubgraph, type SubgraphOptions } from '../shared/serveSubgraph.js';
import { STOCK } from './data.js';

/**
 * Per-id only, on purpose: with no batch endpoint the gateway must fan out one call per product,
 * which is what its concurrency bound (checked through maxInFlight) exists for.
 */
export function inventoryApp() {
  return restApp([
    {
      method: 'GET',
      pattern: '/inventory/:productId',
      handle: ({ productId }) => {
        const stock = productId === undefined ? undefined : STOCK.get(productId);
        return stock ? json(200, stock) : json(404, { error: 'not_found' });
      },
    },
  ]);
}

export function startInventorySubgraph(options: SubgraphOptions = {}): Promise<RunningSubgraph> {
  return serveSubgraph('inventory', inventoryApp(), options);
}
