import { describe, expect, it } from 'vitest';
import { toRestResponse, type GraphQLAnswer } from '../../src/partner-rest/toRestResponse.js';

const options = { rootKey: 'order', partial: 'data' as const, retryAfterSeconds: 5, requestId: 'r-1' };
const answer = (status: number, body: unknown, headers: Record<string, string> = {}): GraphQLAnswer => ({ status, headers: new Headers(headers), body });
const error = (code: string, path?: (string | number)[]) => ({ message: `m ${code}`, extensions: { code }, ...(path ? { path } : {}) });

describe('toRestResponse', () => {
  it('answers 200 with the root field’s value', () => {
    expect(toRestResponse(answer(200, { data: { order: { id: 'o1' } } }), options)).toEqual({ status: 200, headers: {}, body: { id: 'o1' }, isProblem: false });
  });

  it('answers 404 RESOURCE_NOT_FOUND when the root field is null without an error', () => {
    const result = toRestResponse(answer(200, { data: { order: null } }), options);
    expect(result.status).toBe(404);
    expect(result.body).toEqual({
      type: 'urn:portico:error:RESOURCE_NOT_FOUND',
      title: 'The requested resource does not exist.',
      status: 404,
      code: 'RESOURCE_NOT_FOUND',
      requestId: 'r-1',
    });
  });

  it.each([
    ['BAD_USER_INPUT', 400, 400],
    ['GRAPHQL_VALIDATION_FAILED', 400, 400],
    ['COST_LIMIT_EXCEEDED', 400, 400],
    ['UNAUTHENTICATED', 401, 401],
    ['FORBIDDEN', 403, 403],
    ['RATE_LIMITED', 429, 429],
    ['SUBGRAPH_UNAVAILABLE', 502, 503],
    ['SUBGRAPH_TIMEOUT', 504, 503],
    ['SUBGRAPH_ERROR', 502, 502],
    ['INTERNAL_SERVER_ERROR', 500, 500],
  ])('maps a request error %s (GraphQL status %i) to %i', (code, graphqlStatus, restStatus) => {
    const result = toRestResponse(answer(graphqlStatus, { errors: [error(code)] }), options);
    expect(result).toMatchObject({ status: restStatus, isProblem: true, body: { code, status: restStatus, type: `urn:portico:error:${code}` } });
  });

  it('maps a root field nulled by an error to that error’s status, and adds Retry-After to a 503', () => {
    const result = toRestResponse(answer(200, { data: { order: null }, errors: [error('SUBGRAPH_UNAVAILABLE', ['order'])] }), options);
    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('5');
    expect(result.body).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', errors: [{ code: 'SUBGRAPH_UNAVAILABLE', path: ['order'] }] });
  });

  it('picks the error closest to the root when several nulled it', () => {
    const result = toRestResponse(answer(200, { data: null, errors: [error('SUBGRAPH_ERROR', ['order', 'items', 0]), error('FORBIDDEN', ['order'])] }), options);
    expect(result.status).toBe(403);
  });

  it('passes Retry-After, WWW-Authenticate and rate-limit headers through, whatever their case', () => {
    const headers = { 'Retry-After': '17', 'WWW-Authenticate': 'Bearer realm="partner"', RateLimit: 'limit=10', 'x-internal': 'no' };
    const limited = toRestResponse(answer(429, { errors: [error('RATE_LIMITED')] }, headers), options);
    expect(limited.headers).toEqual({ 'retry-after': '17', 'www-authenticate': 'Bearer realm="partner"', ratelimit: 'limit=10' });
  });

  it('serves partial data with Portico-Partial-Errors and no-store, or the problem when the route says so', () => {
    const partial = answer(200, { data: { order: { id: 'o1', stock: null } }, errors: [error('SUBGRAPH_TIMEOUT', ['order', 'stock']), error('SUBGRAPH_TIMEOUT', ['order', 'x'])] });
    expect(toRestResponse(partial, options)).toEqual({
      status: 200,
      headers: { 'Portico-Partial-Errors': 'SUBGRAPH_TIMEOUT', 'cache-control': 'no-store' },
      body: { id: 'o1', stock: null },
      isProblem: false,
    });
    expect(toRestResponse(partial, { ...options, partial: 'error' })).toMatchObject({ status: 503, isProblem: true, body: { code: 'SUBGRAPH_TIMEOUT' } });
  });

  it('answers a problem even when the pipeline’s answer is not GraphQL', () => {
    expect(toRestResponse(answer(503, undefined), options)).toMatchObject({ status: 503, headers: { 'retry-after': '5' }, body: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('speaks REST in titles and keeps the reason and denied details of the GraphQL error, re-checked', () => {
    const forbidden = {
      message: 'The caller may not read one or more requested fields.',
      extensions: {
        code: 'FORBIDDEN',
        denied: [
          { field: 'Mutation.cancelOrder', path: ['cancelOrder'] },
          { field: 'User.email', path: ['user', 'email'], reason: 'not_owner' },
          { field: 'not a coordinate <script>', path: ['x'] },
          { field: 'Order.id', path: [{ evil: true }], reason: 'Not A Word!' },
        ],
      },
    };
    const result = toRestResponse(answer(403, { errors: [forbidden] }), options);
    expect(result.body).toEqual({
      type: 'urn:portico:error:FORBIDDEN',
      title: 'The caller is not allowed to do this.',
      status: 403,
      code: 'FORBIDDEN',
      requestId: 'r-1',
      denied: [
        { field: 'Mutation.cancelOrder', path: ['cancelOrder'] },
        { field: 'User.email', path: ['user', 'email'], reason: 'not_owner' },
        { field: 'Order.id' },
      ],
      errors: [{ code: 'FORBIDDEN' }],
    });
    const anonymous = toRestResponse(answer(401, { errors: [{ message: 'm', extensions: { code: 'UNAUTHENTICATED', reason: 'credentials_required' } }] }), options);
    expect(anonymous.body).toMatchObject({ reason: 'credentials_required', detail: 'm' });
  });

  it('names a field nulled in place (a partial answer turned problem) with its field and reason', () => {
    const partial = answer(200, {
      data: { order: { id: 'o1', user: null } },
      errors: [{ message: 'x', path: ['order', 'user'], extensions: { code: 'FORBIDDEN', field: 'Order.user', reason: 'not_owner' } }],
    });
    const result = toRestResponse(partial, { ...options, partial: 'error' });
    expect(result.body).toMatchObject({ title: 'The caller is not allowed to do this.', errors: [{ code: 'FORBIDDEN', path: ['order', 'user'], field: 'Order.user', reason: 'not_owner' }] });
  });
});
