import { defineBff } from '../../../src/config/defineConfig.js';
import type { BffConfigInput } from '../../../src/config/schema.js';
import { benchBffPolicies } from '../benchPolicies.js';

export default defineBff(
  (env) =>
    ({
      name: 'bench',
      port: Number(env.BENCH_PORT ?? 0),
      sources: ['bench'],
      ...benchBffPolicies(env).config,
    }) as BffConfigInput,
);
