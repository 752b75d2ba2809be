// Scenario (c): one BFF over the bench federation with every policy the gateway has switched on
// (bench/config/benchPolicies.ts decides which keys exist). Started by bench/run.ts as
// `portico start --config bench/config/policies.config.ts` with the BENCH_* variables set.
import { defineRoot } from '../../src/config/defineConfig.js';
import { benchRootPolicies } from './benchPolicies.js';

export default defineRoot((env) => ({
  sources: './sources.ts',
  bffs: ['./policies'],
  ...benchRootPolicies(env).config,
}));
