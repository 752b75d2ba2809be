// The rate-limit benchmark's deployment (bench/rateLimit.ts): two BFFs identical but for where
// their buckets live, served by one gateway process so both meet the same machine.
import { defineRoot } from '../../src/config/defineConfig.js';

export default defineRoot((env) => ({
  sources: '../../schemas/sources.ts',
  bffs: ['./memory', './redis'],
  ...(env.BENCH_REDIS_URL ? { redis: { url: env.BENCH_REDIS_URL, commandTimeoutMs: 1000 } } : {}),
}));
