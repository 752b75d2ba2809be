import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { porticoError } from '../../../src/errors/index.js';
import { useErrorMasking } from '../../../src/plugins/response/useErrorMasking.js';

const schema = createSchema({
  typeDefs: 'type Query { ok: String, down: String, bug: String, n(value: Int): Int }',
  resolvers: {
    Query: {
      ok: () => 'ok',
      down: () => {
        throw porticoError('SUBGRAPH_UNAVAILABLE');
      },
      bug: () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:5432');
      },
    },
  },
});

function serve(extra: Plugin[] = []) {
  const masked: unknown[] = [];
  const yoga = createYoga({ schema, logging: false, maskedErrors: false, plugins: [...extra, useErrorMasking({ onMasked: (error) => masked.push(error) })] });
  const post = async (body: unknown) => {
    const response = await yoga.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { errors?: { message: string; path?: string[]; extensions: Record<string, unknown> }[] } };
  };
  return { post, masked };
}

describe('useErrorMasking', () => {
  it('keeps a coded error at its path, once, with its code (masking twice would lose it)', async () => {
    const { post, masked } = serve();
    const { status, body } = await post({ query: '{ ok down }' });
    expect(status).toBe(200);
    expect(body.errors).toEqual([expect.objectContaining({ path: ['down'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } })]);
    expect(masked).toEqual([]);
  });

  it('masks an exception in a resolver: no message, no address, the original goes to the log', async () => {
    const { post, masked } = serve();
    const { body } = await post({ query: '{ bug }' });
    expect(body.errors?.[0]?.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    expect(masked).toHaveLength(1);
  });

  it('masks an exception thrown before execution, in a request hook, which never reaches execution', async () => {
    const throwing: Plugin = {
      onRequestParse() {
        throw new Error('jwks fetch failed: https://idp.internal/keys');
      },
    };
    const { post, masked } = serve([throwing]);
    const { body } = await post({ query: '{ ok }' });
    expect(body.errors?.[0]?.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(body)).not.toContain('idp.internal');
    expect(masked).toHaveLength(1);
  });

  it('gives the client its own request errors with catalogue codes and the spec statuses', async () => {
    const { post } = serve();
    const invalid = await post({ query: '{ nope }' });
    expect(invalid.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badVariable = await post({ query: 'query($v: Int) { n(value: $v) }', variables: { v: 'x' } });
    expect(badVariable.status).toBe(400);
    expect(badVariable.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const unparsable = await post({ query: '{ ok' });
    expect(unparsable.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});
