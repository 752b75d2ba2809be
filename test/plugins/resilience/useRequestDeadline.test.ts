import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useRequestDeadline } from '../../../src/plugins/resilience/useRequestDeadline.js';
import { scopeOf, type RequestScope } from '../../../src/context/requestScope.js';
import { ANONYMOUS } from '../../../src/context/principal.js';

function yogaWith(plugin: ReturnType<typeof useRequestDeadline>) {
  return createYoga<{ portico: RequestScope }>({
    schema: createSchema<{ portico: RequestScope }>({
      typeDefs: 'type Query { deadline: Float }',
      resolvers: { Query: { deadline: (_: unknown, __: unknown, context: unknown) => scopeOf(context)?.deadline ?? null } },
    }),
    plugins: [plugin],
    logging: false,
  });
}

const scope = (): RequestScope => ({ requestId: 'r', principal: ANONYMOUS, upstreamHeaders: {} });

describe('useRequestDeadline', () => {
  it('sets the request deadline to arrival + budget before anything else runs', async () => {
    const yoga = yogaWith(useRequestDeadline({ budgetMs: 2_500, now: () => 1_000 }));
    const portico = scope();
    const response = await yoga.fetch('http://bff/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ deadline }"}' }, { portico });
    expect(await response.json()).toEqual({ data: { deadline: 3_500 } });
    expect(portico.deadline).toBe(3_500);
  });

  it('defaults to a 10 s budget and refuses a budget that is not positive', () => {
    const portico = scope();
    const hooks = useRequestDeadline({ now: () => 0 }) as { onRequest: (payload: unknown) => void };
    hooks.onRequest({ serverContext: { portico } });
    expect(portico.deadline).toBe(10_000);
    expect(() => useRequestDeadline({ budgetMs: 0 })).toThrow(RangeError);
  });
});
