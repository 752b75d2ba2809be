import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useStaleExtensions } from '../../../src/plugins/resilience/useStaleExtensions.js';
import { scopeOf, type RequestScope } from '../../../src/context/requestScope.js';
import { ANONYMOUS } from '../../../src/context/principal.js';

// The resolver plays the part of the transport: it records a stale answer in the request scope.
const yoga = createYoga<{ portico: RequestScope }>({
  schema: createSchema<{ portico: RequestScope }>({
    typeDefs: 'type Query { product(stale: Boolean!): String }',
    resolvers: {
      Query: {
        product: (_: unknown, args: { stale: boolean }, context: unknown) => {
          if (args.stale) (scopeOf(context)!.stale ??= []).push({ source: 'products', ageMs: 1_234 });
          return 'Compact Planter';
        },
      },
    },
  }),
  plugins: [useStaleExtensions()],
  logging: false,
});

async function run(stale: boolean) {
  const portico: RequestScope = { requestId: 'r', principal: ANONYMOUS, upstreamHeaders: {} };
  const response = await yoga.fetch(
    'http://bff/graphql',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ product(stale: ${stale}) }` }) },
    { portico },
  );
  return response.json();
}

describe('useStaleExtensions', () => {
  it('marks an answer served from the fallback cache with the source and its age', async () => {
    expect(await run(true)).toEqual({ data: { product: 'Compact Planter' }, extensions: { stale: [{ source: 'products', ageMs: 1_234 }] } });
  });

  it('adds nothing to a fresh answer', async () => {
    expect(await run(false)).toEqual({ data: { product: 'Compact Planter' } });
  });
});
