import { buildSchema, execute, parse, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Executor } from '@graphql-tools/utils';
import { describe, expect, it } from 'vitest';
import { buildBffModel } from '../../src/compose/buildBffModel.js';
import { createBffPlanner, type BffPlannerOptions } from '../../src/compose/createBffPlanner.js';

// The BFF planner's decision cache and planning budget (docs/query-planner.md, "Limits"). The
// cache is observed through what a decision reports once, when it is made: an introspection
// operation always falls back to stitching, and `onFallback` is told once per decision made.
const users = buildSchema('type Query { user(id: ID!): User } type User { id: ID! name: String! }');
const clientSchema = buildSchema('type Query { user(id: ID!): User dash: Dash } type Dash { user: User } type User { id: ID! name: String! }');
const model = buildBffModel([{ kind: 'source', graph: 'users', schema: users, lookups: new Map() }], {});

function planner(options: Partial<BffPlannerOptions> = {}) {
  let decided = 0;
  const calls: string[] = [];
  const run: Executor = (request) => {
    calls.push(request.operationName ?? '');
    return execute({ schema: users, document: request.document, variableValues: request.variables ?? {}, rootValue: { user: { id: 'u1', name: 'Ada' } } }) as never;
  };
  const plan = createBffPlanner({
    model,
    schema: clientSchema,
    executorFor: () => run,
    delegateTarget: (_source, fieldName) => users.getQueryType()!.getFields()[fieldName],
    onFallback: () => decided++,
    ...options,
  });
  const stitched = (): ExecutionResult => ({ data: { stitched: true } });
  return {
    calls,
    decided: () => decided,
    run: (document: DocumentNode, variableValues: Record<string, unknown> = {}) =>
      plan({ schema: clientSchema, document, variableValues, contextValue: {} }, stitched) as Promise<ExecutionResult> | ExecutionResult,
  };
}

/** Distinct documents, each kept referenced (a dropped document would leave the cache anyway). */
const documents = (count: number) => Array.from({ length: count }, (_, index) => parse(`{ q${index}: __schema { queryType { name } } }`));

describe('the BFF planner\'s decision cache', () => {
  it('keeps at most maxEntries decisions across documents: a flood of distinct documents evicts the oldest', async () => {
    const bff = planner({ planCache: { maxEntries: 8 } });
    const flood = documents(50);
    for (const document of flood) await bff.run(document);
    expect(bff.decided()).toBe(50);
    // The eight most recent are still cached: no decision is made again.
    for (const document of flood.slice(42)) await bff.run(document);
    expect(bff.decided()).toBe(50);
    // The first was evicted long ago, though its document is still alive.
    await bff.run(flood[0]!);
    expect(bff.decided()).toBe(51);
  });

  it('keeps at most maxBytes of estimated decisions: four 512-byte decisions in 2 KiB', async () => {
    const bff = planner({ planCache: { maxEntries: 1000, maxBytes: 4 * 512 } });
    const flood = documents(10);
    for (const document of flood) await bff.run(document);
    for (const document of flood.slice(6)) await bff.run(document);
    expect(bff.decided()).toBe(10);
    await bff.run(flood[5]!);
    expect(bff.decided()).toBe(11);
  });

  it('lets one document put at most maxPerDocument decisions in the cache, however many @skip/@include combinations arrive', async () => {
    const bff = planner({ planCache: { maxPerDocument: 4 } });
    const document = parse('query ($a: Boolean!, $b: Boolean!, $c: Boolean!) { __schema { queryType { name @skip(if: $a) } types { name @skip(if: $b) } t: types { name @skip(if: $c) } } }');
    const combinations = Array.from({ length: 8 }, (_, bits) => ({ a: (bits & 1) !== 0, b: (bits & 2) !== 0, c: (bits & 4) !== 0 }));
    for (const variables of combinations) await bff.run(document, variables);
    for (const variables of combinations) await bff.run(document, variables);
    // The first pass decides 8 times; the second only for the 4 combinations not kept.
    expect(bff.decided()).toBe(8 + 4);
  });
});

describe('the BFF planner\'s planning budget', () => {
  it('counts a resolver\'s subtree too, and refuses over budget with QUERY_PLAN_TOO_LARGE before any source is called', async () => {
    const resolvers = BffPlannerResolvers();
    const bff = planner({ planBudget: { maxFields: 3 }, resolvers });
    // dash, user, id, name: four fields, three of them under the resolver field.
    const refused = await bff.run(parse('{ dash { user { id name } } }'));
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.map((error) => [error.extensions.code, error.extensions.plan])).toEqual([['QUERY_PLAN_TOO_LARGE', { limit: 'fields', max: 3 }]]);
    expect(bff.calls).toEqual([]);
    // Within the budget, the resolver's delegation runs by plan.
    expect(await bff.run(parse('{ dash { user { id } } }'))).toEqual({ data: { dash: { user: { id: 'u1' } } } });
    expect(bff.calls).toHaveLength(1);
  });

  it('counts a fragment fan-out by its expansion without expanding it: a million fields from a small document is refused at once', async () => {
    const bff = planner();
    // F0 = { id name }, Fn = { a: user { ...F(n-1) } b: user { ...F(n-1) } }: 2^20 fields from 20 lines.
    const fragments = Array.from({ length: 20 }, (_, index) => `fragment F${index + 1} on User { a: user { ...F${index} } b: user { ...F${index} } }`);
    const document = parse(`{ user(id: "u1") { ...F20 } } fragment F0 on User { id name } ${fragments.join(' ')}`, { noLocation: true });
    const refused = await bff.run(document);
    expect(refused.errors?.[0]?.extensions.code).toBe('QUERY_PLAN_TOO_LARGE');
    expect(bff.calls).toEqual([]);
  });
});

function BffPlannerResolvers(): BffPlannerOptions['resolvers'] {
  return (kit) => ({
    Query: { dash: () => ({}) },
    Dash: { user: (_parent: unknown, _args: unknown, context: unknown, info: never) => kit.delegate('users', 'user', { id: 'u1' }, context, info) },
  });
}
