import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { requestBody } from '../../../src/sources/graphql/httpExecutor.js';

// The upstream body is assembled from a memoised JSON string of the printed query: it must be the
// very bytes JSON.stringify gives, since in-flight sharing and the fallback cache key on them.

const document = parse('query Q($id: ID!) { product(id: $id) { name price } }');

describe('requestBody', () => {
  it.each([
    ['variables and a name', { id: '1', note: 'a "quoted"\nline \u2028' }, 'Q'],
    ['no variables', undefined, 'Q'],
    ['no name', { id: '1' }, undefined],
    ['null variables and a null name', null, null],
    ['empty variables', {}, undefined],
    ['variables with undefined members', { id: '1', skip: undefined }, undefined],
  ])('is JSON.stringify({ query, variables, operationName }), byte for byte, with %s', (_case, variables, operationName) => {
    const expected = JSON.stringify({ query: 'query Q($id: ID!) {\n  product(id: $id) {\n    name\n    price\n  }\n}', variables, operationName });
    expect(requestBody(document, variables, operationName as string | undefined)).toBe(expected);
    // and again, from the memoised query
    expect(requestBody(document, variables, operationName as string | undefined)).toBe(expected);
  });
});
