import { makeExecutableSchema } from '@graphql-tools/schema';
import { YogaServer, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { createEnvelopPhases } from '../../src/server/envelopPhases.js';

// The adapter's parse → validate → context → execute (src/server/envelopPhases.ts): envelop's
// hooks, called the way envelop calls them, for every query and mutation; event streams are left
// to yoga's own handler. (test/server/nodeYogaAdapter.test.ts compares whole answers with yoga's.)

const schema = makeExecutableSchema({
  typeDefs: 'type Query { hello: String, who: String } type Subscription { ticks: Int }',
  resolvers: { Query: { hello: () => 'world', who: (_: unknown, __: unknown, context: { who?: string }) => context.who ?? 'nobody' } },
});

function phasesWith(plugins: Plugin[] = []) {
  const server = new YogaServer({ schema, plugins, logging: false, maskedErrors: false });
  const phases = createEnvelopPhases(server);
  const request = new Request('http://localhost/graphql', { method: 'POST' });
  return (query: unknown, context: Record<string, unknown> = {}) => phases(request, { query: query as string }, context);
}

describe('the adapter\'s envelop phases', () => {
  it('run a query through the hooks and give the context the request and params, as yoga does', async () => {
    const seen: string[] = [];
    const run = phasesWith([
      {
        onParse: () => void seen.push('parse'),
        onValidate: () => void seen.push('validate'),
        onExecute: ({ extendContext }) => {
          seen.push('execute');
          extendContext({ who: 'a hook' } as object);
        },
      },
    ]);
    const context: Record<string, unknown> = {};
    expect(await run('{ hello who }', context)).toEqual({ data: { hello: 'world', who: 'a hook' } });
    expect(seen).toEqual(['parse', 'validate', 'execute']);
    expect(context['params']).toEqual({ query: '{ hello who }' });
    expect(context['request']).toBeInstanceOf(Request);
  });

  it('answer a syntax error and a validation error as results, not throws', async () => {
    const run = phasesWith();
    expect(await run('{ hello ')).toMatchObject({ errors: [{ message: expect.stringContaining('Syntax Error') }] });
    expect(await run('{ nope }')).toMatchObject({ errors: [{ message: expect.stringContaining('nope') }] });
  });

  it('leave subscriptions, @defer, @stream and a missing query to yoga\'s handler', () => {
    const run = phasesWith();
    expect(run('subscription { ticks }')).toBeUndefined();
    expect(run('{ ... @defer { hello } }')).toBeUndefined();
    expect(run('{ hello @stream }')).toBeUndefined();
    expect(run(undefined)).toBeUndefined();
  });

  it('stop at the hook that answers, and still call the after hooks the earlier ones returned', async () => {
    const calls: string[] = [];
    const run = phasesWith([
      { onExecute: () => ({ onExecuteDone: () => void calls.push('first done') }) },
      { onExecute: ({ setResultAndStopExecution }) => setResultAndStopExecution({ data: { hello: 'early' } }) },
      { onExecute: () => void calls.push('never') },
    ]);
    expect(await run('{ hello }')).toEqual({ data: { hello: 'early' } });
    expect(calls).toEqual(['first done']);
  });
});
