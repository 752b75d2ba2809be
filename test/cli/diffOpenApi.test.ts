import { describe, expect, it } from 'vitest';
import { diffOpenApi } from '../../src/cli/diffOpenApi.js';

/** A one-operation document in the shape src/partner-rest/buildOpenApi.ts writes (schemas inline). */
function doc(operation: Record<string, unknown>, route = '/v1/orders/{id}', method = 'get'): Record<string, unknown> {
  return { openapi: '3.1.0', paths: { [route]: { [method]: operation } } };
}
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const limitParameter = { name: 'limit', in: 'query', required: false, schema: { type: 'integer' } };
const response = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({
  '200': { content: { 'application/json': { schema: { type: 'object', properties, required } } } },
});
const base = { parameters: [idParameter, limitParameter], responses: response({ id: { type: 'string' }, total: { type: 'number' } }) };

describe('diffOpenApi', () => {
  it.each([
    ['a removed path', doc(base), { paths: {} }, 'path removed'],
    ['a removed operation', doc(base), { paths: { '/v1/orders/{id}': { post: base } } }, 'operation removed'],
    ['a removed parameter', doc(base), doc({ ...base, parameters: [idParameter] }), 'query parameter limit removed'],
    ['a parameter now required', doc(base), doc({ ...base, parameters: [idParameter, { ...limitParameter, required: true }] }), 'query parameter limit is now required'],
    ['a new required parameter', doc(base), doc({ ...base, parameters: [...base.parameters, { name: 'tenant', in: 'query', required: true, schema: { type: 'string' } }] }), 'query parameter tenant added as required'],
    ['a parameter of another type', doc(base), doc({ ...base, parameters: [idParameter, { ...limitParameter, schema: { type: 'string' } }] }), 'query parameter limit: type changed from integer to string'],
    ['a removed response property', doc(base), doc({ ...base, responses: response({ id: { type: 'string' } }) }), 'response.total removed'],
    ['a response property of another type', doc(base), doc({ ...base, responses: response({ id: { type: 'string' }, total: { type: 'string' } }) }), 'response.total: type changed from number to string'],
    ['a response property that may now be null', doc(base), doc({ ...base, responses: response({ id: { type: 'string' }, total: { type: ['number', 'null'] } }) }), 'response.total: type changed from number to number | null'],
  ])('calls %s breaking', (_name, before, after, message) => {
    expect(diffOpenApi(before, after, 'v1')).toContainEqual({ level: 'breaking', version: 'v1', operation: 'GET /v1/orders/{id}', message });
  });

  it.each([
    ['an added operation', doc(base), { paths: { '/v1/orders/{id}': { get: base, delete: base } } }, 'DELETE /v1/orders/{id}', 'operation added'],
    ['an added optional parameter', doc(base), doc({ ...base, parameters: [...base.parameters, { name: 'lang', in: 'query', required: false, schema: { type: 'string' } }] }), 'GET /v1/orders/{id}', 'query parameter lang added'],
    ['an added response property', doc(base), doc({ ...base, responses: response({ id: { type: 'string' }, total: { type: 'number' }, note: { type: 'string' } }) }), 'GET /v1/orders/{id}', 'response.note added'],
  ])('calls %s safe, and nothing breaking', (_name, before, after, operation, message) => {
    const changes = diffOpenApi(before, after, 'v1');
    expect(changes).toEqual([{ level: 'safe', version: 'v1', operation, message }]);
  });

  it('lets a request accept more (an integer parameter widened to number) and a response say less (nullable to non-null)', () => {
    const widened = doc({ ...base, parameters: [idParameter, { ...limitParameter, schema: { type: 'number' } }] });
    expect(diffOpenApi(doc(base), widened, 'v1')).toEqual([]);
    const nullable = doc({ ...base, responses: response({ id: { type: 'string' }, total: { type: ['number', 'null'] } }) });
    expect(diffOpenApi(nullable, doc(base), 'v1')).toEqual([]);
  });
});
