// What "the full policy chain" means for scenario (c), written against whatever the gateway's
// config schema has when the bench runs: a policy whose config key does not exist yet is left
// out and reported as missing, instead of failing start-up. bench/run.ts then probes the running
// gateway to show each policy that is on really acts (a 401 without a token, a 400 for a costly
// query, buckets in Redis, breaker metrics, access-log lines).
import type { Env } from '../../src/config/loadConfig.js';
import { bffSchema, rootConfigSchema } from '../../src/config/schema.js';

/** `aud` of the bench's tokens: both gateways accept exactly this audience. */
export const BENCH_AUDIENCE = 'portico-bench';
/** `iss` of tokens from the demo IdP (subgraphs/idp/server.ts DEMO_ISSUER). */
export const BENCH_ISSUER = 'portico-demo-idp';
/**
 * Twice the bench query's cost (24 420 with the default assumed list size of 10, where the real
 * lists hold 2-3 items), so the limit is evaluated on every request but never refuses it, while
 * the probe's query (six copies of a deep branch) is refused.
 */
export const BENCH_MAX_COST = 50_000;

export interface PolicySelection {
  /** The config keys to add. */
  config: Record<string, unknown>;
  /** Policies configured, by name. */
  on: string[];
  /** Policies left out, with why. */
  missing: string[];
  /** Policies left out on purpose (`bench/run.ts --without`), to see what the rest costs. */
  without: string[];
}

/**
 * The policies `bench/run.ts --without` leaves out (BENCH_WITHOUT, comma-separated): a name
 * leaves out every policy whose name starts with it ("rate limit" is "rate limit (redis)").
 */
export function leftOut(env: Env, policy: string): boolean {
  return (env.BENCH_WITHOUT ?? '')
    .split(',')
    .map((name) => name.trim())
    .some((name) => name !== '' && policy.startsWith(name));
}

type Candidate = { policy: string; key: string; value: unknown } | { policy: string; key: string; unavailable: string };

function select(env: Env, shape: Record<string, unknown>, candidates: Candidate[]): PolicySelection {
  const selection: PolicySelection = { config: {}, on: [], missing: [], without: [] };
  for (const candidate of candidates) {
    if (leftOut(env, candidate.policy)) selection.without.push(candidate.policy);
    else if (!(candidate.key in shape)) selection.missing.push(`${candidate.policy} (no "${candidate.key}" config key yet)`);
    else if ('unavailable' in candidate) selection.missing.push(`${candidate.policy} (${candidate.unavailable})`);
    else {
      selection.config[candidate.key] = candidate.value;
      selection.on.push(candidate.policy);
    }
  }
  return selection;
}

export function benchBffPolicies(env: Env): PolicySelection {
  const jwksUrl = env.BENCH_JWKS_URL;
  const redis = env.BENCH_REDIS_URL;
  const selection = select(env, bffSchema.shape, [
    jwksUrl
      ? {
          policy: 'jwt',
          key: 'auth',
          // anonymous: 'deny' makes every request pay for verification (a missing token is a 401).
          // The identity headers sent to the sources are signed, as `portico start` requires
          // outside demo mode (a secret the bench makes up per run, BENCH_IDENTITY_SECRET).
          value: {
            jwt: { jwksUrl, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
            anonymous: 'deny',
            ...(env.BENCH_IDENTITY_SECRET ? { identityHeaders: { secret: env.BENCH_IDENTITY_SECRET } } : {}),
          },
        }
      : { policy: 'jwt', key: 'auth', unavailable: 'no identity provider started' },
    { policy: 'cost limit', key: 'cost', value: { maxCost: BENCH_MAX_COST } },
    // The BFF default, spelt out: every field needs an authenticated caller, and Query.me a scope
    // (bench/subgraphs/accounts.graphql), checked in validation on every request.
    { policy: 'field authz', key: 'authz', value: { defaultPolicy: 'authenticated', onDenied: 'reject' } },
    redis
      ? {
          policy: 'rate limit (redis)',
          key: 'rateLimit',
          value: {
            // Limits no bench run can reach: every request is charged, none is refused.
            tiers: [
              { kind: 'global', limit: 1_000_000_000, windowSeconds: 1 },
              { kind: 'tenant', plans: {}, otherPlans: { limit: 1_000_000_000, windowSeconds: 1 } },
            ],
            store: 'redis',
            // Closed, so a Redis that cannot keep up shows as errors instead of a silent fallback
            // to in-memory buckets that would flatter the figures.
            failMode: 'closed',
          },
        }
      : { policy: 'rate limit (redis)', key: 'rateLimit', unavailable: 'no redis started' },
  ]);
  // Without JWT auth a BFF still signs the identity headers it sends (anonymous callers'), and
  // outside demo mode it needs the secret for that.
  if (!('auth' in selection.config) && env.BENCH_IDENTITY_SECRET) selection.config['auth'] = { identityHeaders: { secret: env.BENCH_IDENTITY_SECRET } };
  // A BFF's fields need an authenticated caller by default: without field authz, none does.
  if (!('authz' in selection.config)) selection.config['authz'] = { defaultPolicy: 'public' };
  return selection;
}

export function benchRootPolicies(env: Env): PolicySelection {
  return select(env, rootConfigSchema.shape, [
    env.BENCH_REDIS_URL
      ? {
          policy: 'redis',
          key: 'redis',
          // The bench's Redis shares a core with the load generator and the subgraphs on a box
          // that may be busy with other work; the 100 ms default is for a dedicated Redis. The
          // limiter still fails closed, so a Redis that cannot keep up shows as failed requests.
          value: { url: env.BENCH_REDIS_URL, commandTimeoutMs: 3000 },
        }
      : { policy: 'redis', key: 'redis', unavailable: 'no redis started' },
    env.BENCH_ADMIN_PORT
      ? { policy: 'metrics', key: 'admin', value: { port: Number(env.BENCH_ADMIN_PORT) } }
      : { policy: 'metrics', key: 'admin', unavailable: 'no admin port given' },
  ]);
}
