import { startInventorySubgraph } from './inventory/server.js';
import { startOrdersSubgraph } from './orders/server.js';
import { startProductsSubgraph } from './products/server.js';
import type { RunningSubgraph, SubgraphOptions } from './shared/serveSubgraph.js';
import { startUsersSubgraph } from './users/server.js';

export type { RunningSubgraph, SubgraphOptions } from './shared/serveSubgraph.js';
export type { FaultKnobs } from './shared/faults.js';
export type { RecordedRequest, SubgraphStats } from './shared/requestLog.js';
export { startInventorySubgraph, startOrdersSubgraph, startProductsSubgraph, startUsersSubgraph };

export const SUBGRAPH_NAMES = ['users', 'orders', 'products', 'inventory'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const START_SUBGRAPH: Record<SubgraphName, (options?: SubgraphOptions) => Promise<RunningSubgraph>> = {
  users: startUsersSubgraph,
  orders: startOrdersSubgraph,
  products: startProductsSubgraph,
  inventory: startInventorySubgraph,
};

export function isSubgraphName(value: string): value is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(value);
}
