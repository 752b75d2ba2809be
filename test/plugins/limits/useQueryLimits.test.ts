import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';

// The web BFF of the repository's config with its default guards (src/config/guardsSchema.ts)
// and no subgraph running: every guard answers before a source would be called, so a request
// that got through would show a SUBGRAPH_UNAVAILABLE error instead.
let portico: TestPortico;
let web: string;

beforeAll(async () => {
  portico = await startTestPortico({});
  web = portico.bff('web').url;
});
afterAll(() => portico?.close(0));

const codes = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.map((error) => error.extensions?.['code']);

describe('query guards (web defaults)', () => {
  it('refuses a query nested deeper than 10 with 400 QUERY_TOO_DEEP and the figures', async () => {
    // order → user → orders → … : each hop is one level.
    let selection = 'id';
    for (let i = 0; i < 6; i++) selection = i % 2 === 0 ? `user { orders { ${selection} } }` : `user { orders { ${selection} } }`;
    const response = await gql(web, `{ order(id: "o1") { ${selection} } }`);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'QUERY_TOO_DEEP', depth: { actual: 13, max: 10 } } }),
    ]);
  });

  it('holds introspection to limits too: a 40-deep __Type.ofType chain is refused with QUERY_TOO_DEEP on the dev-mode web BFF', async () => {
    let chain = 'name';
    for (let i = 0; i < 40; i++) chain = `ofType { ${chain} }`;
    const response = await gql(web, `{ __schema { types { fields { type { ${chain} } } } } }`);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'QUERY_TOO_DEEP', depth: { actual: 44, max: 15, introspection: true } } }),
    ]);
    expect(response.body.data).toBeUndefined();
  });

  it('counts aliases inside introspection: 16 aliased __type lookups are refused with TOO_MANY_ALIASES', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `t${i}: __type(name: "Query") { name }`).join(' ');
    const response = await gql(web, `{ ${aliases} }`);
    expect(response.status).toBe(400);
    expect(codes(response.body)).toEqual(['TOO_MANY_ALIASES']);
  });

  it('still answers graphql-js\'s full introspection query (GraphiQL\'s), 14 deep', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const response = await gql(web, query);
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });

  it('refuses more than 15 aliases with TOO_MANY_ALIASES, counting a fragment at each spread', async () => {
    const fields = Array.from({ length: 8 }, (_, i) => `p${i}: name`).join(' ');
    const response = await gql(web, `{ a: product(id: "p1") { ...F } b: product(id: "p2") { ...F } } fragment F on Product { ${fields} }`);
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions).toEqual({ code: 'TOO_MANY_ALIASES', aliases: { actual: 18, max: 15 } });
  });

  it('stops parsing a document over 1000 tokens with TOO_MANY_TOKENS', async () => {
    const response = await gql(web, `{ products { items { ${'id '.repeat(1000)} } } }`);
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions).toEqual({ code: 'TOO_MANY_TOKENS', tokens: { max: 1000 } });
  });

  it('refuses more than 50 directives with TOO_MANY_DIRECTIVES', async () => {
    // One per field: graphql-js refuses the same directive twice at one location on its own.
    const fields = Array.from({ length: 51 }, () => 'id @include(if: true)').join(' ');
    const response = await gql(web, `{ products { items { ${fields} } } }`);
    expect(response.status).toBe(400);
    expect(codes(response.body)).toEqual(['TOO_MANY_DIRECTIVES']);
  });

  it('refuses a batch with TOO_MANY_OPERATIONS (batching is off unless a BFF raises maxBatchedOperations)', async () => {
    const response = await fetch(web, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
    expect(codes((await response.json()) as never)).toEqual(['TOO_MANY_OPERATIONS']);
  });

  it('reports every limit an operation breaks, each with its own code', async () => {
    const aliases = Array.from({ length: 26 }, (_, i) => `a${i}: __typename @skip(if: false) @include(if: true)`).join(' ');
    const response = await gql(web, `{ ${aliases} }`);
    expect(response.status).toBe(400);
    expect(codes(response.body)).toEqual(['TOO_MANY_ALIASES', 'TOO_MANY_DIRECTIVES']);
  });

  it('lets a query within every limit through', async () => {
    const response = await gql(web, '{ __typename a: __typename }');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { __typename: 'Query', a: 'Query' } });
  });
});
