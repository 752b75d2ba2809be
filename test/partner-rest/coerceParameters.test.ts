import { buildSchema, typeFromAST, parseType, type GraphQLInputType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { coerceParameters, type CompiledParameter } from '../../src/partner-rest/coerceParameters.js';

const schema = buildSchema(/* GraphQL */ `
  enum Status { PAID SHIPPED }
  input Window { from: String!, to: String }
  type Query { x(a: Int, b: Float, c: Boolean, d: ID, e: String, s: [Status!], w: Window): Int }
`);
const typeOf = (text: string) => typeFromAST(schema, parseType(text) as never) as GraphQLInputType;
const param = (name: string, location: CompiledParameter['in'], type: string, required = type.endsWith('!')): CompiledParameter => ({
  name,
  in: location,
  variable: name,
  type: typeOf(type),
  required,
  example: null,
});
const run = (parameters: CompiledParameter[], query = '', options: { path?: Record<string, string>; body?: Record<string, unknown> } = {}) =>
  coerceParameters(parameters, { path: options.path ?? {}, query: new URLSearchParams(query), ...(options.body ? { body: options.body } : {}) });

describe('coerceParameters', () => {
  it.each([
    ['Int', '42', 42],
    ['Int', '-7', -7],
    ['Float', '1.5', 1.5],
    ['Float', '2e3', 2000],
    ['Boolean', 'true', true],
    ['Boolean', 'false', false],
    ['String', 'hello', 'hello'],
    ['ID', '0042', '0042'],
    ['Status', 'PAID', 'PAID'],
  ])('reads a %s query parameter from %j', (type, text, expected) => {
    expect(run([param('p', 'query', type)], `p=${encodeURIComponent(text)}`)).toEqual({ variables: { p: expected } });
  });

  it.each([
    ['Int', '4.2', 'must be a 32-bit integer'],
    ['Int', '3000000000', 'must be a 32-bit integer'],
    ['Int', '', 'must be a 32-bit integer'],
    ['Int', '0x10', 'must be a 32-bit integer'],
    ['Float', 'NaN', 'must be a number'],
    ['Float', '1,5', 'must be a number'],
    ['Boolean', '1', 'must be true or false'],
    ['Status', 'paid', 'must be one of PAID, SHIPPED'],
  ])('refuses a %s query parameter given %j, naming it', (type, text, reason) => {
    expect(run([param('p', 'query', type)], `p=${encodeURIComponent(text)}`)).toEqual({ problems: [{ name: 'p', in: 'query', reason }] });
  });

  it('reads a list from repeated keys and refuses a repeated single value', () => {
    expect(run([param('s', 'query', '[Status!]')], 's=PAID&s=SHIPPED')).toEqual({ variables: { s: ['PAID', 'SHIPPED'] } });
    expect(run([param('n', 'query', 'Int')], 'n=1&n=2')).toEqual({ problems: [{ name: 'n', in: 'query', reason: 'is given more than once' }] });
  });

  it('requires a non-null parameter without a default and leaves an absent optional one to the operation', () => {
    expect(run([param('id', 'query', 'ID!')])).toEqual({ problems: [{ name: 'id', in: 'query', reason: 'is required' }] });
    expect(run([param('first', 'query', 'Int', false)])).toEqual({ variables: {} });
  });

  it('reads path parameters as their variable type', () => {
    expect(run([param('id', 'path', 'ID!')], '', { path: { id: 'o/1' } })).toEqual({ variables: { id: 'o/1' } });
    expect(run([param('n', 'path', 'Int!')], '', { path: { n: 'x' } })).toEqual({ problems: [{ name: 'n', in: 'path', reason: 'must be a 32-bit integer' }] });
  });

  it('checks body properties, input objects included, with GraphQL’s own coercion', () => {
    const window = param('window', 'body', 'Window!');
    expect(run([window], '', { body: { window: { from: 'a' } } })).toEqual({ variables: { window: { from: 'a' } } });
    const missing = run([window], '', { body: { window: { to: 'b' } } });
    expect(missing).toEqual({ problems: [{ name: 'window', in: 'body', reason: expect.stringContaining('"from"') }] });
    const extra = run([window], '', { body: { window: { from: 'a', query: '{ x }' } } });
    expect(extra).toEqual({ problems: [{ name: 'window', in: 'body', reason: expect.stringContaining('"query"') }] });
    expect(run([param('n', 'body', 'Int')], '', { body: { n: null } })).toEqual({ variables: { n: null } });
    expect(run([param('n', 'body', 'Int!')], '', { body: { n: null } })).toMatchObject({ problems: [{ name: 'n', in: 'body' }] });
  });

  it('refuses every undeclared query parameter and body property by name', () => {
    const result = run([param('first', 'query', 'Int'), param('id', 'body', 'ID')], 'first=1&query=%7Bx%7D&fields=a', { body: { id: '1', variables: {} } });
    expect(result).toEqual({
      problems: [
        { name: 'query', in: 'query', reason: 'is not a parameter of this route' },
        { name: 'fields', in: 'query', reason: 'is not a parameter of this route' },
        { name: 'variables', in: 'body', reason: 'is not a parameter of this route' },
      ],
    });
  });
});
