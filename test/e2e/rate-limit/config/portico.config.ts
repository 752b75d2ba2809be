// Test deployment for the rate-limit e2e tests: the repository's sources registry, BFFs with
// rate limits small enough to reach in a few dozen requests. Started in-process by
// startTestPortico and as real processes (`portico start --config …`) by the fleet test.
import { defineRoot } from '../../../../src/config/defineConfig.js';

export default defineRoot((env) => ({
  sources: '../../../../schemas/sources.ts',
  bffs: (env.TEST_BFFS ?? 'limited').split(',').map((name) => `./${name}`),
  // 1 s instead of 100 ms: a loaded two-core CI box must not trip the fail mode by accident.
  ...(env.TEST_REDIS_URL ? { redis: { url: env.TEST_REDIS_URL, commandTimeoutMs: Number(env.TEST_REDIS_TIMEOUT_MS ?? 1000) } } : {}),
}));
