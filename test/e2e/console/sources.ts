// The demo sources (schemas/sources.ts) as they are, but inventory's breaker: it judges the last
// second of calls (not ten), opens after a handful of failures and lets its half-open probe
// through after one second, so a test can watch it go open → half-open → closed in seconds
// without the successes of the traffic before the fault outvoting the failures.
import demo from '../../../schemas/sources.js';
import { defineSources } from '../../../src/config/defineConfig.js';

export default defineSources((env) => {
  const sources = typeof demo === 'function' ? demo(env) : demo;
  // Schema paths are read relative to the sources file: point them back at schemas/.
  const at = (schema: string) => `../../../schemas/${schema.replace(/^\.\//, '')}`;
  const { users, orders, products, inventory } = sources as Record<string, any>;
  return {
    users: { ...users, schema: at(users.schema) },
    orders: { ...orders, subgraphs: orders.subgraphs.map((subgraph: { schema: string }) => ({ ...subgraph, schema: at(subgraph.schema) })) },
    products: { ...products, schema: at(products.schema) },
    inventory: {
      ...inventory,
      schema: at(inventory.schema),
      resilience: { breaker: { volumeThreshold: 6, resetTimeoutMs: 1_000, rollingCountTimeoutMs: 1_000, rollingCountBuckets: 4 } },
    },
  };
});
