import { Writable } from 'node:stream';
import { GraphQLError, parse } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { porticoError } from '../../../src/errors/index.js';
import { createErrorMasker } from '../../../src/plugins/response/maskError.js';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

describe('the error masker', () => {
  const masked: unknown[] = [];
  const mask = createErrorMasker({ onMasked: (error) => masked.push(error) });
  beforeEach(() => {
    masked.length = 0;
  });

  it('lets an error the gateway built through, at the path of the field it was raised under', () => {
    const ours = porticoError('SUBGRAPH_TIMEOUT', { details: { source: 'users' } });
    const located = new GraphQLError(ours.message, { path: ['user'], originalError: ours });
    const result = mask(located) as GraphQLError;
    expect(result.extensions).toEqual({ code: 'SUBGRAPH_TIMEOUT', source: 'users' });
    expect(result.path).toEqual(['user']);
    expect(masked).toEqual([]);
  });

  it('does not trust a catalogue code a subgraph put on its own error: its text becomes SUBGRAPH_ERROR', () => {
    const relayed = new GraphQLError('relation "users" does not exist', { path: ['users'], extensions: { code: 'BAD_USER_INPUT' } });
    const result = mask(relayed) as GraphQLError;
    expect(result.message).toBe('A data source reported an error.');
    expect(result.extensions).toEqual({ code: 'SUBGRAPH_ERROR' });
    expect(result.path).toEqual(['users']);
    expect(masked).toEqual([relayed]);
  });

  it('turns an exception of a resolver into INTERNAL_SERVER_ERROR without its message', () => {
    const thrown = new GraphQLError('Cannot read properties of undefined', { path: ['dashboard'], originalError: new TypeError('x') });
    const result = mask(thrown) as GraphQLError;
    expect(result.message).toBe('Unexpected error.');
    expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('gives the request errors of graphql-js and yoga catalogue codes, keeping their messages', () => {
    const validation = new GraphQLError('Cannot query field "x" on type "Query".', { nodes: parse('{ x }').definitions });
    expect((mask(validation) as GraphQLError).extensions['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    const variable = new GraphQLError('Variable "$id" of required type "ID!" was not provided.');
    expect((mask(variable) as GraphQLError).extensions['code']).toBe('BAD_USER_INPUT');
    // graphql-js chains a variable's coercion error to the enum's own error: still the client's.
    const coercion = new GraphQLError('Variable "$s" got invalid value "X"; Value "X" does not exist in "Status" enum.', {
      originalError: new GraphQLError('Value "X" does not exist in "Status" enum.'),
      extensions: { http: { status: 400 } },
    });
    expect((mask(coercion) as GraphQLError).extensions['code']).toBe('BAD_USER_INPUT');
    const viaGet = new GraphQLError('Can only perform a mutation operation from a POST request.', {
      extensions: { code: 'BAD_REQUEST', http: { status: 405, headers: { Allow: 'POST' } } },
    });
    const result = mask(viaGet) as GraphQLError;
    expect(result.extensions).toEqual({ code: 'OPERATION_NOT_ALLOWED', http: { status: 405, headers: { Allow: 'POST' } } });
    expect(result.message).toBe(viaGet.message);
    const tooLarge = new GraphQLError('Request body too large', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });
    expect((mask(tooLarge) as GraphQLError).extensions['code']).toBe('PAYLOAD_TOO_LARGE');
    expect(masked).toEqual([]);
  });

  it('drops the body parser message yoga echoes, keeping the answer a 400', () => {
    const invalidJson = new GraphQLError('POST body sent invalid JSON.', {
      extensions: { code: 'BAD_REQUEST', http: { spec: true, status: 400 } as never, originalError: { name: 'SyntaxError', message: 'Unexpected token' } },
    });
    expect((mask(invalidJson) as GraphQLError).extensions).toEqual({ code: 'BAD_REQUEST', http: { status: 400 } });
  });
});

describe('upstream details on a real gateway', () => {
  let idp: Idp;
  let users: SubgraphHandle;
  let portico: TestPortico;
  const lines: string[] = [];
  let admin: Record<string, string>;

  beforeAll(async () => {
    [idp, users] = await Promise.all([startIdp(), startSubgraph('users')]);
    const logger = pino({ level: 'error' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    portico = await startTestPortico({ users }, { env: { IDP_URL: idp.url }, logger });
    admin = { authorization: `Bearer ${await idp.issue({ sub: 'ops', roles: ['admin'] })}` };
  });
  afterAll(async () => {
    await portico?.close(0);
    await Promise.all([idp?.stop(), users?.release()]);
  });

  it('never shows a subgraph\'s own error text: the client gets SUBGRAPH_ERROR at the path, the log gets the text', async () => {
    const response = await gql(portico.bff('web').url, '{ users(first: -1) { id } }', undefined, admin);
    expect(response.body).toEqual({
      data: null,
      errors: [{ message: 'A data source reported an error.', path: ['users'], extensions: { code: 'SUBGRAPH_ERROR' } }],
    });
    expect(JSON.stringify(response.body)).not.toMatch(/negative|127\.0\.0\.1/);
    expect(lines.join('')).toContain('first and offset must not be negative');
  });

  it('shows neither the URL nor the status text of a subgraph that fails over HTTP', async () => {
    await users.setFaults({ errorRate: 1 });
    try {
      const response = await gql(portico.bff('web').url, '{ user(id: "u1") { name } }', undefined, admin);
      expect(response.body.data).toEqual({ user: null });
      expect(response.body.errors![0]!.path).toEqual(['user']);
      expect(response.body.errors![0]!.extensions!['code']).toMatch(/^SUBGRAPH_/);
      expect(JSON.stringify(response.body)).not.toContain(users.baseUrl.replace('http://', ''));
    } finally {
      await users.setFaults({ errorRate: 0 });
    }
  });
});
