// The sources registry: every upstream the BFFs may stitch, with the SDL that describes it.
// URLs come from the environment so one file serves the demo, the tests and production.
import { defineSources } from '../src/config/defineConfig.js';

export default defineSources((env) => ({
  users: {
    kind: 'graphql',
    url: env.USERS_URL ?? 'http://127.0.0.1:4101/graphql',
    schema: './users.graphql',
    // Other sources reference users by id; this is how the gateway fetches many at once.
    merge: { User: { key: 'id', field: 'usersByIds', argument: 'ids' } },
  },
  orders: {
    kind: 'federation',
    subgraphs: [{ name: 'orders', url: env.ORDERS_URL ?? 'http://127.0.0.1:4102/graphql', schema: './orders.graphql' }],
  },
  products: {
    kind: 'rest',
    baseUrl: env.PRODUCTS_URL ?? 'http://127.0.0.1:4103',
    schema: './products.graphql',
  },
  inventory: {
    kind: 'rest',
    baseUrl: env.INVENTORY_URL ?? 'http://127.0.0.1:4104',
    schema: './inventory.graphql',
  },
}));
