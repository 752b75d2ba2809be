// The demo sources (schemas/sources.ts) as they are, but inventory's breaker: it opens after a
// handful of failures and lets its half-open probe through after one second, so a test can watch
// it go open → half-open → closed in a few seconds.
import { defineSources } from '../../../src/config/defineConfig.js';

export default defineSources((env) => ({
  users: {
    kind: 'graphql',
    url: env.USERS_URL ?? 'http://127.0.0.1:9/graphql',
    schema: '../../../schemas/users.graphql',
    merge: { User: { key: 'id', field: 'usersByIds', argument: 'ids' } },
  },
  orders: {
    kind: 'federation',
    subgraphs: [{ name: 'orders', url: env.ORDERS_URL ?? 'http://127.0.0.1:9/graphql', schema: '../../../schemas/orders.graphql' }],
  },
  products: {
    kind: 'rest',
    baseUrl: env.PRODUCTS_URL ?? 'http://127.0.0.1:9',
    schema: '../../../schemas/products.graphql',
  },
  inventory: {
    kind: 'rest',
    baseUrl: env.INVENTORY_URL ?? 'http://127.0.0.1:9',
    schema: '../../../schemas/inventory.graphql',
    resilience: { breaker: { volumeThreshold: 6, resetTimeoutMs: 1_000 } },
  },
}));
