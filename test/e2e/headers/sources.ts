// The demo sources, each with its own header rules (and users with JWT claims), for
// test/e2e/headers/. URLs come from the environment the test support sets.
import { defineSources } from '../../../src/config/defineConfig.js';

export default defineSources((env) => ({
  users: {
    kind: 'graphql',
    url: env.USERS_URL!,
    schema: '../../../schemas/users.graphql',
    merge: { User: { key: 'id', field: 'usersByIds', argument: 'ids' } },
    // The only source the caller's bearer token reaches: a rule names it.
    headers: { request: [{ propagate: 'authorization' }], response: [{ propagate: 'x-users-version' }] },
    // Signed into the identity headers (x-portico-claims, v2 signature).
    claims: ['email', 'org.id', 'missing'],
  },
  orders: {
    kind: 'federation',
    subgraphs: [{ name: 'orders', url: env.ORDERS_URL!, schema: '../../../schemas/orders.graphql' }],
    // The BFF propagates the locale to every source; this one must not get it.
    headers: { request: [{ remove: 'x-locale' }] },
  },
  products: {
    kind: 'rest',
    baseUrl: env.PRODUCTS_URL!,
    schema: '../../../schemas/products.graphql',
    headers: {
      request: [{ propagate: 'cookie' }],
      response: [{ propagate: 'x-catalogue-version', rename: 'x-catalog-version' }],
    },
  },
  inventory: {
    kind: 'rest',
    baseUrl: env.INVENTORY_URL!,
    schema: '../../../schemas/inventory.graphql',
    // Everything a pattern may take: still never a credential or a hop-by-hop header.
    headers: { request: [{ propagate: { matching: '.*' } }] },
  },
}));
