import { createSchema, createYoga, Repeater } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { rateLimitSchema, type RateLimitConfigInput } from '../../../src/config/rateLimitSchema.js';
import type { RequestScope } from '../../../src/context/requestScope.js';
import { collectCostDirectives } from '../../../src/plugins/cost/collectCostDirectives.js';
import { useCostLimit } from '../../../src/plugins/cost/useCostLimit.js';
import { useRateLimit } from '../../../src/plugins/rate-limit/useRateLimit.js';
import type { RateLimitStore } from '../../../src/stores/rate-limit/rateLimitStore.js';
import { sseFrameReader, type SseFrame } from '../../support/sseFrames.js';
import { useRateLimitStores } from '../../support/rateLimitStores.js';

// Per-event charging (rateLimit.chargeSubscriptionEvents): an in-test gateway with the real cost
// and rate-limit plugins over a subscription whose events the test publishes one by one. Each
// `ticks` event selects two items (@listSize 2), so the subscription costs 2 at subscribe and 2
// per event. The clock is fixed: buckets never refill during a test.
const SDL = /* GraphQL */ `
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query { ok: Boolean }
  type Item { id: ID! }
  type Subscription { ticks: [Item!]! @listSize(assumedSize: 2) }
`;
const TICKS = 'subscription { ticks { id } }';
const FIXED_NOW = () => 1_700_000_000_000;

function gateway(rateLimit: RateLimitConfigInput, store: RateLimitStore) {
  let publish!: (n: number) => void;
  const sources = { open: 0, closed: 0 };
  const schema = createSchema({
    typeDefs: SDL,
    resolvers: {
      Subscription: {
        ticks: {
          subscribe: () =>
            new Repeater<number>(async (push, stop) => {
              sources.open++;
              publish = (n) => void push(n);
              await stop;
              sources.closed++;
            }),
          resolve: (n: number) => [{ id: `${n}a` }, { id: `${n}b` }],
        },
      },
    },
  });
  const yoga = createYoga({
    schema,
    logging: false,
    plugins: [
      useCostLimit({ directives: collectCostDirectives([{ origin: 'test', sdl: SDL }]), maxCost: 1_000, defaultListSize: 10, mutationCost: 10, exposeInExtensions: false }),
      useRateLimit({ ...rateLimitSchema.parse(rateLimit), bff: 'test', store }),
    ],
  });

  /** Opens the subscription over SSE as `tenant`; frames arrive in `frames`, `ended` settles at the stream's end. */
  const subscribe = async (tenant: string) => {
    const scope: RequestScope = {
      requestId: 'test',
      principal: { kind: 'jwt', subject: `user-of-${tenant}`, tenant, plan: 'free', scopes: [], roles: [] },
      upstreamHeaders: {},
    };
    const response = await yoga.fetch(
      'http://gateway/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ query: TICKS }) },
      { portico: scope } as never,
    );
    const frames: SseFrame[] = [];
    const waiters: (() => void)[] = [];
    const read = sseFrameReader((frame) => {
      if (frame.event === 'next' || frame.event === 'complete') frames.push(frame);
      waiters.splice(0).forEach((wake) => wake());
    });
    const reader = response.body!.getReader();
    const ended = (async () => {
      const decoder = new TextDecoder();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) read(decoder.decode(chunk.value, { stream: true }));
    })();
    /** Resolves once `count` frames have arrived. */
    const framesArrived = async (count: number) => {
      while (frames.length < count) await new Promise<void>((wake) => waiters.push(wake));
    };
    /** The client goes away. */
    const stop = async () => {
      await reader.cancel();
      await ended;
    };
    return { status: response.status, frames, framesArrived, ended, stop };
  };
  return { subscribe, publish: (n: number) => publish(n), sources };
}

const data = (n: number) => JSON.stringify({ data: { ticks: [{ id: `${n}a` }, { id: `${n}b` }] } });
const TIERS: RateLimitConfigInput['tiers'] = [{ kind: 'tenant', plans: { free: { limit: 10, windowSeconds: 60 } } }];

const stores = useRateLimitStores(FIXED_NOW);

describe.each(stores)('per-event subscription charges with the %s store', (storeName, makeStore) => {
  it('charges each delivered event the subscription\'s cost, and ends it with RATE_LIMITED when the bucket cannot pay', async () => {
    const { subscribe, publish, sources } = gateway({ tiers: TIERS, chargeSubscriptionEvents: true }, makeStore(`${storeName}-charged`));
    const stream = await subscribe('acme');
    expect(stream.status).toBe(200);
    // 10 points: 2 at subscribe, then 2 per event pays for four events; the fifth is refused.
    for (let n = 1; n <= 5; n++) {
      publish(n);
      await stream.framesArrived(n);
    }
    await stream.ended;
    const nexts = stream.frames.filter((frame) => frame.event === 'next').map((frame) => frame.data);
    expect(nexts.slice(0, 4)).toEqual([data(1), data(2), data(3), data(4)]);
    expect(nexts).toHaveLength(5);
    const refusal = JSON.parse(nexts[4]!) as { data?: unknown; errors: { extensions: { code: string; rateLimit: { policies: string[]; cost: number } } }[] };
    expect(refusal.data).toBeUndefined();
    expect(refusal.errors).toHaveLength(1);
    expect(refusal.errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', rateLimit: { policies: ['tenant'], cost: 2 } });
    // The fifth event's items are in no frame, the stream completed, and the source's stream was closed.
    expect(stream.frames.map((frame) => frame.data).join('\n')).not.toContain('5a');
    expect(stream.frames.at(-1)!.event).toBe('complete');
    expect(sources).toEqual({ open: 1, closed: 1 });

    // The same tenant's next subscription is refused at once: the bucket is empty.
    const again = await subscribe('acme');
    expect(again.status).toBe(429);
  });

  it('charges only the subscribe when per-event charging is off (the default)', async () => {
    const { subscribe, publish, sources } = gateway({ tiers: TIERS }, makeStore(`${storeName}-free`));
    const stream = await subscribe('acme');
    for (let n = 1; n <= 8; n++) {
      publish(n);
      await stream.framesArrived(n);
    }
    expect(stream.frames.map((frame) => frame.data)).toEqual(Array.from({ length: 8 }, (_, i) => data(i + 1)));
    expect(sources).toEqual({ open: 1, closed: 0 });
    await stream.stop();
    // 2 of 10 points spent: four more subscriptions of cost 2 are admitted, the fifth is not.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const another = await subscribe('acme');
      statuses.push(another.status);
      await another.stop();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});
