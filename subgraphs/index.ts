import { startIdpSubgraph } from './idp/server.js';
import { startInventorySubgraph } from './inventory/server.js';
import { startOrdersSubgraph } from './orders/server.js';
import { startProductsSubgraph } from './products/server.js';
import type { RunningSubgraph, SubgraphOptions } from './shared/serveSubgraph.js';
import { startUsersSubgraph } from './users/server.js';

export type { RunningSubgraph, SubgraphOptions } from './shared/serveSubgraph.js';
export type { FaultKnobs } from './shared/faults.js';
export type { RecordedRequest, SubgraphStats } from './shared/requestLog.js';
export { startIdpSubgraph, startInventorySubgraph, startOrdersSubgraph, startProductsSubgraph, startUsersSubgraph };

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

/** Every demo service `run.ts` can start: the four subgraphs and the demo identity provider. */
export const SERVICE_NAMES = [...SUBGRAPH_NAMES, 'idp'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const START_SERVICE: Record<ServiceName, (options?: SubgraphOptions) => Promise<RunningSubgraph>> = {
  ...START_SUBGRAPH,
  idp: startIdpSubgraph,
};

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}
