import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couldBeCrossSite } from '../../../src/plugins/csrf/csrfRules.js';
import { startTestPortico, type TestPortico } from '../../support/portico.js';

let portico: TestPortico;
let web: string;

beforeAll(async () => {
  portico = await startTestPortico({});
  web = portico.bff('web').url;
});
afterAll(() => portico?.close(0));

async function post(contentType: string | undefined, body: BodyInit, headers: Record<string, string> = {}) {
  const response = await fetch(web, {
    method: 'POST',
    headers: { accept: 'application/graphql-response+json', ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions: Record<string, unknown> }[] } };
}

describe('CSRF protection (GraphQL-over-HTTP)', () => {
  it.each([
    ['text/plain', JSON.stringify({ query: '{ __typename }' })],
    ['application/x-www-form-urlencoded', 'query=%7B__typename%7D'],
    ['text/plain; charset=utf-8', JSON.stringify({ query: '{ __typename }' })],
  ])('refuses a POST a page on another site could send without a preflight (%s) with 400 CSRF_PREFLIGHT_REQUIRED', async (type, body) => {
    const response = await post(type, body);
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions['code']).toBe('CSRF_PREFLIGHT_REQUIRED');
    expect(response.body.data).toBeUndefined();
  });

  it('refuses a multipart form and a POST with no content type the same way', async () => {
    const form = new FormData();
    form.set('operations', JSON.stringify({ query: '{ __typename }' }));
    form.set('map', '{}');
    expect((await post(undefined, form)).body.errors![0]!.extensions['code']).toBe('CSRF_PREFLIGHT_REQUIRED');
    const bare = await fetch(web, { method: 'POST', body: new Uint8Array(Buffer.from('{"query":"{ __typename }"}')) });
    expect(bare.status).toBe(400);
    expect(((await bare.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('CSRF_PREFLIGHT_REQUIRED');
  });

  it('accepts a simple request carrying a preflight header, which a browser sends only after CORS allowed it', async () => {
    const response = await post('application/x-www-form-urlencoded', 'query=%7B__typename%7D', { 'apollo-require-preflight': 'true' });
    expect(response).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('accepts application/json, which always needs a preflight', async () => {
    expect(await post('application/json', JSON.stringify({ query: '{ __typename }' }))).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('refuses a simple GET query (a link, an image, a form on another site) with 400 CSRF_PREFLIGHT_REQUIRED', async () => {
    for (const headers of [{}, { 'content-type': 'text/plain' }, { accept: 'application/graphql-response+json' }] as Record<string, string>[]) {
      const response = await fetch(`${web}?query=${encodeURIComponent('{ __typename }')}`, { headers });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string; preflightHeaders: string[] } }[] };
      expect(body.errors[0]!.extensions.code).toBe('CSRF_PREFLIGHT_REQUIRED');
      expect(body.errors[0]!.extensions.preflightHeaders).toContain('graphql-require-preflight');
      expect(body.data).toBeUndefined();
    }
  });

  it('runs a GET query carrying a preflight header or a JSON content type (both need a preflight from a browser)', async () => {
    for (const headers of [{ 'graphql-require-preflight': '1' }, { 'x-portico-csrf': '1' }, { 'content-type': 'application/json' }] as Record<string, string>[]) {
      const response = await fetch(`${web}?query=${encodeURIComponent('{ __typename }')}`, { headers });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
  });

  it('refuses a mutation over GET with 405 OPERATION_NOT_ALLOWED and Allow: POST, and serves a query over GET', async () => {
    const mutation = await fetch(`${web}?query=${encodeURIComponent('mutation { cancelOrder(id: "o1") { id } }')}`, {
      headers: { accept: 'application/graphql-response+json', 'graphql-require-preflight': '1' },
    });
    expect(mutation.status).toBe(405);
    expect(mutation.headers.get('allow')).toBe('POST');
    expect(((await mutation.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('OPERATION_NOT_ALLOWED');
    const query = await fetch(`${web}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'graphql-require-preflight': '1' } });
    expect(query.status).toBe(200);
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it.each([
    ['POST', null, true],
    ['POST', 'TEXT/PLAIN', true],
    ['POST', 'multipart/form-data; boundary=x', true],
    ['POST', 'application/json', false],
    ['POST', 'application/graphql-response+json', false],
    ['PUT', 'text/plain', true],
    ['GET', null, true],
    ['GET', 'application/json', false],
    ['OPTIONS', null, false],
  ])('classifies %s with content type %s as cross-site-sendable: %s', (method, type, expected) => {
    expect(couldBeCrossSite(method, type)).toBe(expected);
  });
});
