import { defineBff } from '../../../../../src/config/defineConfig.js';
import type { BffConfigInput } from '../../../../../src/config/schema.js';
import type { Env } from '../../../../../src/config/loadConfig.js';
import repo from '../../../../../bffs/partner/bff.config.js';

export default defineBff((env) => {
  // Keys holding paths relative to the repository's file are re-pointed or left out (routes:
  // the partner REST routes are not what this test prices).
  const { routes: _routes, ...config } = (repo as (env: Env) => BffConfigInput)(env);
  return {
    ...config,
    ...(config.resolvers ? { resolvers: '../../../../../bffs/partner/resolvers.ts' } : {}),
    cost: { ...config.cost, exposeInExtensions: true },
  };
});
