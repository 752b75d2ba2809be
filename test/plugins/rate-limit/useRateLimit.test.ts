import { createSchema, createYoga } from 'graphql-yoga';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { rateLimitSchema, type RateLimitConfigInput } from '../../../src/config/rateLimitSchema.js';
import { ANONYMOUS, type Principal } from '../../../src/context/principal.js';
import type { RequestScope } from '../../../src/context/requestScope.js';
import { collectCostDirectives } from '../../../src/plugins/cost/collectCostDirectives.js';
import { useCostLimit } from '../../../src/plugins/cost/useCostLimit.js';
import { createConsoleFeed, type ConsoleFeed } from '../../../src/observability/console/consoleFeed.js';
import { useRateLimit } from '../../../src/plugins/rate-limit/useRateLimit.js';
import { createFailoverRateLimitStore } from '../../../src/stores/rate-limit/failoverRateLimitStore.js';
import { createMemoryRateLimitStore } from '../../../src/stores/rate-limit/memoryRateLimitStore.js';
import type { RateLimitStore } from '../../../src/stores/rate-limit/rateLimitStore.js';
import { useRateLimitStores } from '../../support/rateLimitStores.js';

// An in-test gateway: the real cost and rate-limit plugins in a yoga over a small local schema
// whose resolvers count their calls (the "subgraph"). The test plays the auth stage: it hands
// each request a RequestScope whose principal it chose, as useAuth does after verifying a token.
const SDL = /* GraphQL */ `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query {
    "costs 1"
    cheap: Item
    "costs 5"
    expensive: [Item!]! @listSize(assumedSize: 5)
  }
  type Item { id: ID! }
`;
const CHEAP = '{ cheap { id } }';
const EXPENSIVE = '{ expensive { id } }';
const FIXED_NOW = () => 1_700_000_000_000; // no refill: time does not matter

interface Caller {
  /** The principal object itself, reused across requests as the verified-token cache does. */
  principal?: Principal;
  tenant?: string;
  plan?: string;
  address?: string;
}

function gateway(rateLimit: RateLimitConfigInput, store: RateLimitStore, maxCost = 1_000, feed: ConsoleFeed = createConsoleFeed()) {
  const calls = { count: 0 };
  const schema = createSchema({
    typeDefs: SDL,
    resolvers: {
      Query: {
        cheap: () => (calls.count++, { id: '1' }),
        expensive: () => (calls.count++, Array.from({ length: 5 }, (_, i) => ({ id: String(i) }))),
      },
    },
  });
  const config = rateLimitSchema.parse(rateLimit);
  const yoga = createYoga({
    schema,
    logging: false,
    plugins: [
      useCostLimit({ directives: collectCostDirectives([{ origin: 'test', sdl: SDL }]), maxCost, defaultListSize: 10, mutationCost: 10, exposeInExtensions: false }),
      useRateLimit({ ...config, bff: 'test', store, feed }),
    ],
  });
  const send = async (query: string, caller: Caller = {}) => {
    const principal: Principal = caller.principal
      ? caller.principal
      : caller.tenant
      ? { kind: 'jwt', subject: `user-of-${caller.tenant}`, tenant: caller.tenant, ...(caller.plan ? { plan: caller.plan } : {}), scopes: [], roles: [] }
      : ANONYMOUS;
    const scope: RequestScope = { requestId: 'test', principal, upstreamHeaders: {} };
    const response = await yoga.fetch(
      'http://gateway/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query }) },
      { portico: scope, req: { socket: { remoteAddress: caller.address ?? '192.0.2.1' } } } as never,
    );
    const body = (await response.json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
    return { status: response.status, headers: response.headers, body, code: body.errors?.[0]?.extensions?.code };
  };
  return { send, calls };
}

const PLANS: RateLimitConfigInput = {
  tiers: [{ kind: 'tenant', plans: { free: { limit: 10, windowSeconds: 60 }, pro: { limit: 10_000, windowSeconds: 60 } } }],
};

const stores = useRateLimitStores(FIXED_NOW);

describe.each(stores)('cost-based rate limiting with the %s store', (storeName, makeStore) => {
  const ns = (test: string) => `${storeName}-${test}`;

  it('limits a free tenant at its plan’s budget while a pro tenant is not', async () => {
    const { send, calls } = gateway(PLANS, makeStore(ns('plans')));
    const free = [];
    const pro = [];
    for (let i = 0; i < 15; i++) {
      free.push((await send(CHEAP, { tenant: 'acme', plan: 'free' })).status);
      pro.push((await send(CHEAP, { tenant: 'globex', plan: 'pro' })).status);
    }
    expect(free).toEqual([...Array<number>(10).fill(200), ...Array<number>(5).fill(429)]);
    expect(pro).toEqual(Array<number>(15).fill(200));
    // Refused requests never reached a resolver.
    expect(calls.count).toBe(25);
  });

  it('drains the bucket faster for an expensive operation, in exact proportion to its cost', async () => {
    const limits: RateLimitConfigInput = { tiers: [{ kind: 'tenant', plans: { free: { limit: 30, windowSeconds: 60 } } }] };
    const { send } = gateway(limits, makeStore(ns('proportion')));
    const remaining = async (query: string, tenant: string) => {
      const response = await send(query, { tenant, plan: 'free' });
      return response.status === 200 ? Number(/r=(\d+)/.exec(response.headers.get('RateLimit') ?? '')?.[1]) : response.status;
    };
    const cheap: (number)[] = [];
    const dear: (number)[] = [];
    for (let i = 0; i < 7; i++) dear.push(await remaining(EXPENSIVE, 'dear'));
    for (let i = 0; i < 31; i++) cheap.push(await remaining(CHEAP, 'cheap'));
    // Cost 5 against 30 points: 6 admitted; cost 1: 30 admitted. Same budget, 5× the drain.
    expect(dear).toEqual([25, 20, 15, 10, 5, 0, 429]);
    expect(cheap).toEqual([...Array.from({ length: 30 }, (_, i) => 29 - i), 429]);
  });

  it('refuses over the limit with 429, RATE_LIMITED, Retry-After and the IETF RateLimit fields', async () => {
    const { send } = gateway(PLANS, makeStore(ns('headers')));
    const admitted = await send(CHEAP, { tenant: 'acme', plan: 'free' });
    expect(admitted.status).toBe(200);
    expect(admitted.headers.get('RateLimit-Policy')).toBe('"tenant";q=10;w=60');
    // 9 of 10 left; the spent point is back in 6 s (10 points per 60 s).
    expect(admitted.headers.get('RateLimit')).toBe('"tenant";r=9;t=6');
    for (let i = 0; i < 9; i++) await send(CHEAP, { tenant: 'acme', plan: 'free' });

    const refused = await send(EXPENSIVE, { tenant: 'acme', plan: 'free' });
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('RATE_LIMITED');
    // 5 points at one per 6 s.
    expect(refused.headers.get('Retry-After')).toBe('30');
    expect(refused.headers.get('RateLimit')).toBe('"tenant";r=0;t=60');
    expect(refused.headers.get('RateLimit-Policy')).toBe('"tenant";q=10;w=60');
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ rateLimit: { policies: ['tenant'], cost: 5, retryAfter: 30 } });
    expect(refused.body.data).toBeUndefined();
  });
});

describe('rate-limit tiers', () => {
  it('charges each token its own buckets when the same principal objects come back (remembered buckets)', async () => {
    const jwt = (subject: string): Principal => ({ kind: 'jwt', subject, plan: 'free', scopes: [], roles: [] });
    const alice = jwt('alice');
    const bob = jwt('bob');
    const tiers: RateLimitConfigInput = { tiers: [{ kind: 'tenant', plans: { free: { limit: 3, windowSeconds: 60 } } }] };
    const { send } = gateway(tiers, createMemoryRateLimitStore({ now: FIXED_NOW }));
    const statuses = async (principal: Principal, times: number) => {
      const out: number[] = [];
      for (let i = 0; i < times; i++) out.push((await send(CHEAP, { principal })).status);
      return out;
    };
    // Alice spends her 3 points; Bob, with equal claims but another token, still has all of his.
    expect(await statuses(alice, 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses(bob, 3)).toEqual([200, 200, 200]);
    expect(await statuses(bob, 1)).toEqual([429]);
    // An anonymous caller is never answered from a signed-in caller's buckets.
    expect((await send(CHEAP, {})).status).toBe(200);
  });

  it('tells the operator console who was refused, by plan and tenant, never by address', async () => {
    const feed = createConsoleFeed();
    const tiers: RateLimitConfigInput = { tiers: [...PLANS.tiers, { kind: 'anonymous', limit: 1, windowSeconds: 60 }] };
    const { send } = gateway(tiers, createMemoryRateLimitStore({ now: FIXED_NOW }), 1_000, feed);
    // Free holds 10: two expensive (5) queries pass, the next two are refused.
    for (let i = 0; i < 4; i++) await send(EXPENSIVE, { tenant: 'acme', plan: 'free' });
    await send(CHEAP, { tenant: 'globex', plan: 'pro' });
    for (let i = 0; i < 2; i++) await send(CHEAP, { address: '198.51.100.7' });
    expect(feed.snapshot().rateLimited).toEqual([
      { bff: 'test', plan: 'free', tenant: 'acme', count: 2 },
      { bff: 'test', plan: '(anonymous)', tenant: '(anonymous)', count: 1 },
    ]);
  });

  it('checks a global tier shared by every caller together with each tenant’s own', async () => {
    const { send } = gateway(
      { tiers: [{ kind: 'global', limit: 12, windowSeconds: 60 }, { kind: 'tenant', plans: { free: { limit: 8, windowSeconds: 60 } } }] },
      createMemoryRateLimitStore({ now: FIXED_NOW }),
    );
    const statuses = [];
    for (let i = 0; i < 9; i++) statuses.push((await send(CHEAP, { tenant: 'a', plan: 'free' })).status);
    for (let i = 0; i < 5; i++) statuses.push((await send(CHEAP, { tenant: 'b', plan: 'free' })).status);
    // a: 8 then its own tier refuses (the refusal charges nothing); b: 4 until the global 12 are spent.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429, 200, 200, 200, 200, 429]);
    const last = await send(CHEAP, { tenant: 'b', plan: 'free' });
    expect(last.headers.get('RateLimit')).toBe('"global";r=0;t=60, "tenant";r=4;t=30');
  });

  it('limits anonymous callers per address, IPv6 per /64', async () => {
    const { send } = gateway({ tiers: [{ kind: 'anonymous', limit: 2, windowSeconds: 60 }] }, createMemoryRateLimitStore({ now: FIXED_NOW }));
    const status = async (address: string) => (await send(CHEAP, { address })).status;
    expect([await status('192.0.2.7'), await status('192.0.2.7'), await status('192.0.2.7')]).toEqual([200, 200, 429]);
    expect(await status('::ffff:192.0.2.8')).toBe(200);
    expect([await status('2001:db8:0:1::1'), await status('2001:db8:0:1:ffff::2'), await status('2001:0db8:0000:0001:abcd::3')]).toEqual([200, 200, 429]);
    expect(await status('2001:db8:0:2::1')).toBe(200);
    // The tier is for anonymous callers: an authenticated one is not in it.
    expect((await send(CHEAP, { tenant: 'acme', plan: 'free', address: '192.0.2.7' })).status).toBe(200);
  });

  it('charges a field tier only for operations selecting that field', async () => {
    const { send } = gateway(
      { tiers: [{ kind: 'field', field: 'Query.expensive', limit: 10, windowSeconds: 60 }] },
      createMemoryRateLimitStore({ now: FIXED_NOW }),
    );
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(EXPENSIVE, { tenant: 'acme', plan: 'free' })).status);
    for (let i = 0; i < 20; i++) statuses.push((await send(CHEAP, { tenant: 'acme', plan: 'free' })).status);
    expect(statuses).toEqual([200, 200, 429, ...Array<number>(20).fill(200)]);
  });

  it('refuses a cost no bucket of the caller’s tier can ever hold with COST_LIMIT_EXCEEDED, not a Retry-After', async () => {
    const { send, calls } = gateway({ tiers: [{ kind: 'tenant', plans: { free: { limit: 3, windowSeconds: 60 } } }] }, createMemoryRateLimitStore());
    const response = await send(EXPENSIVE, { tenant: 'acme', plan: 'free' });
    expect(response.status).toBe(400);
    expect(response.code).toBe('COST_LIMIT_EXCEEDED');
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ cost: { estimated: 5, max: 3, policy: 'tenant' } });
    expect(response.headers.get('Retry-After')).toBeNull();
    expect(calls.count).toBe(0);
  });

  it('never charges an operation the cost limit refused', async () => {
    const { send } = gateway(PLANS, createMemoryRateLimitStore({ now: FIXED_NOW }), 3);
    const refused = await send(EXPENSIVE, { tenant: 'acme', plan: 'free' });
    expect(refused.code).toBe('COST_LIMIT_EXCEEDED');
    const next = await send(CHEAP, { tenant: 'acme', plan: 'free' });
    expect(next.headers.get('RateLimit')).toBe('"tenant";r=9;t=6');
  });

  it('skips a tenant on an unlimited plan, and one whose plan is unknown without otherPlans', async () => {
    const { send } = gateway(
      { tiers: [{ kind: 'tenant', plans: { free: { limit: 1, windowSeconds: 60 }, enterprise: 'unlimited' } }] },
      createMemoryRateLimitStore({ now: FIXED_NOW }),
    );
    for (let i = 0; i < 3; i++) {
      const response = await send(CHEAP, { tenant: 'big', plan: 'enterprise' });
      expect(response.status).toBe(200);
      expect(response.headers.get('RateLimit')).toBeNull();
    }
    expect((await send(CHEAP, { tenant: 'x', plan: 'trial' })).status).toBe(200);
  });

  it('answers 503 RATE_LIMIT_UNAVAILABLE when the store cannot decide and the BFF fails closed', async () => {
    const down: RateLimitStore = { consume: () => Promise.reject(new Error('connection refused')), close: () => Promise.resolve() };
    const store = createFailoverRateLimitStore({
      primary: down,
      fallback: createMemoryRateLimitStore(),
      failMode: 'closed',
      bff: 'test',
      logger: pino({ level: 'silent' }),
    });
    const { send, calls } = gateway(PLANS, store);
    const response = await send(CHEAP, { tenant: 'acme', plan: 'free' });
    expect(response.status).toBe(503);
    expect(response.code).toBe('RATE_LIMIT_UNAVAILABLE');
    expect(response.headers.get('Retry-After')).toBe('1');
    expect(JSON.stringify(response.body)).not.toContain('connection refused');
    expect(calls.count).toBe(0);
  });

  it('leaves the headers off admitted responses when `headers` is false, but not off a 429', async () => {
    const { send } = gateway({ ...PLANS, headers: false }, createMemoryRateLimitStore({ now: FIXED_NOW }));
    const admitted = await send(EXPENSIVE, { tenant: 'acme', plan: 'free' });
    expect(admitted.headers.get('RateLimit')).toBeNull();
    const refused = await send(EXPENSIVE, { tenant: 'acme', plan: 'free' });
    expect(refused.status).toBe(200);
    const third = await send(EXPENSIVE, { tenant: 'acme', plan: 'free' });
    expect(third.status).toBe(429);
    expect(third.headers.get('RateLimit')).toBe('"tenant";r=0;t=60');
  });
});
