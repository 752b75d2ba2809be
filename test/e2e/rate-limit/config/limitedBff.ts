import type { BffConfigInput } from '../../../../src/config/schema.js';
import type { Env } from '../../../../src/config/loadConfig.js';

/**
 * A BFF over the users source with cost-based limits:
 * - `tenant`: free 20 points an hour, pro 2000 (a plan budget reached in a handful of requests);
 * - `global`: GLOBAL_LIMIT points a day for the whole BFF (the fleet, with Redis);
 * refills so slow that nothing comes back during a test: the counts do not depend on time.
 */
export function limitedBff(env: Env, overrides: Partial<BffConfigInput> & { name: string }): BffConfigInput {
  return {
    port: 0,
    sources: ['users'],
    ...(env.IDP_URL
      ? { auth: { jwt: { jwksUrl: `${env.IDP_URL}/.well-known/jwks.json`, issuer: env.IDP_ISSUER ?? 'portico-demo-idp', audience: 'portico-web' } } }
      : {}),
    // Anonymous callers may query (the fleet test sends no token); the limits are the subject here.
    authz: { defaultPolicy: 'public' },
    cost: { exposeInExtensions: true },
    rateLimit: {
      failMode: 'open',
      tiers: [
        { kind: 'global', limit: Number(env.GLOBAL_LIMIT ?? 1_000_000), windowSeconds: 86_400 },
        { kind: 'tenant', plans: { free: { limit: 20, windowSeconds: 3_600 }, pro: { limit: 2_000, windowSeconds: 3_600 } } },
      ],
    },
    ...overrides,
  };
}
