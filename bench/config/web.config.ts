// Scenario (e): the demo's web BFF (bffs/web: users, orders, products, inventory and its own
// `dashboard` resolver) over the demo services the bench started, with every policy of (c) on.
// Started by bench/run.ts as `portico start --config bench/config/web.config.ts` with USERS_URL,
// ORDERS_URL, PRODUCTS_URL, INVENTORY_URL and the BENCH_* variables set.
import { defineRoot } from '../../src/config/defineConfig.js';
import { benchRootPolicies } from './benchPolicies.js';

export default defineRoot((env) => ({
  sources: '../../schemas/sources.ts',
  bffs: ['./web'],
  ...benchRootPolicies(env).config,
}));
