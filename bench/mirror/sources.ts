import { defineSources } from '../../src/config/defineConfig.js';

// The same users service, once plain and five times with versions (bench/mirror.ts): mirroring
// off (percent 0, the judged baseline), and copying every read to a shadow that answers, hangs,
// fails or resets. Each mirrored source has a shadow process of its own, so switching modes
// reconfigures nothing: a mode is a URL.
const NOWHERE = 'http://127.0.0.1:9/graphql';

export default defineSources((env) => {
  const users = env.USERS_URL ?? NOWHERE;
  const schema = '../../schemas/users.graphql';
  const versioned = (shadow: string | undefined, percent: number) => ({
    kind: 'graphql' as const,
    url: users,
    schema,
    traffic: {
      versions: { stable: users, shadow: shadow ?? NOWHERE },
      mirror: { version: 'shadow', percent, timeoutMs: 2000, maxConcurrent: 32, logSampleRate: 0 },
    },
  });
  return {
    users: { kind: 'graphql', url: users, schema },
    'users-off': versioned(env.SHADOW_HEALTHY_URL, 0),
    'users-healthy': versioned(env.SHADOW_HEALTHY_URL, 100),
    'users-hanging': versioned(env.SHADOW_HANGING_URL, 100),
    'users-failing': versioned(env.SHADOW_FAILING_URL, 100),
    'users-down': versioned(env.SHADOW_DOWN_URL, 100),
  };
});
