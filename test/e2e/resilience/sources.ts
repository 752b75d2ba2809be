// The demo sources with resilience settings small enough for tests to drive breakers through
// their states in milliseconds: a low volume threshold, a short reset timeout, a tight retry budget.
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
    resilience: {
      breaker: { volumeThreshold: 1_000 },
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    },
  },
  products: {
    kind: 'rest',
    baseUrl: env.PRODUCTS_URL ?? 'http://127.0.0.1:9',
    schema: '../../../schemas/products.graphql',
    resilience: {
      // The retry and fallback scenarios fail every call on purpose; the breaker stays out of them.
      breaker: { volumeThreshold: 1_000 },
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2, budgetRatio: 0.1, budgetMin: 2 },
    },
  },
  inventory: {
    kind: 'rest',
    baseUrl: env.INVENTORY_URL ?? 'http://127.0.0.1:9',
    schema: '../../../schemas/inventory.graphql',
    resilience: {
      timeoutMs: Number(env.INVENTORY_TIMEOUT_MS ?? 5_000),
      breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: Number(env.INVENTORY_RESET_MS ?? 60_000) },
      // Exact counts at the subgraph: every stock lookup is one call.
      retry: { maxRetries: 0 },
      fallback: { enabled: false },
    },
  },
}));
