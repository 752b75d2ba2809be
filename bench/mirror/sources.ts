import { defineSources } from '../../src/config/defineConfig.js';

// The same users service twice: once plain, once with every read copied to SHADOW_URL.
export default defineSources((env) => ({
  users: { kind: 'graphql', url: env.USERS_URL ?? 'http://127.0.0.1:9/graphql', schema: '../../schemas/users.graphql' },
  'users-mirrored': {
    kind: 'graphql',
    url: env.USERS_URL ?? 'http://127.0.0.1:9/graphql',
    schema: '../../schemas/users.graphql',
    traffic: {
      versions: { stable: env.USERS_URL ?? 'http://127.0.0.1:9/graphql', shadow: env.SHADOW_URL ?? 'http://127.0.0.1:9/graphql' },
      mirror: { version: 'shadow', percent: 100, timeoutMs: 2000, maxConcurrent: 32, logSampleRate: 0 },
    },
  },
}));
