import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Vitest would load graphql's ESM build while @graphql-tools (run by Node) loads the CJS one;
    // two copies of graphql reject each other's schemas. One copy, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // e2e files start real processes; two cores, so keep the pool small.
    pool: 'forks',
    // Files share a worker's module cache instead of importing the gateway's dependencies again
    // for each file (most of the suite's time on two cores); process-wide state is reset per file
    // by the setup file.
    poolOptions: { forks: { maxForks: 2, minForks: 1, isolate: false } },
    setupFiles: ['test/support/processState.ts'],
  },
});
