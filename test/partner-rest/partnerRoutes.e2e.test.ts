import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Kind, parse, visit } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSubgraph, type SubgraphHandle } from '../support/subgraphs.js';
import { startTestPortico, type TestPortico } from '../support/portico.js';
import { startIdp, type Idp } from '../support/tokens.js';

// Real processes: the orders, products and inventory subgraphs and the demo IdP; the gateway runs
// the repository's partner BFF (bffs/partner, routes.ts) plus a stricter copy of it
// (fixtures/restricted: a tiny rate-limit plan and a route whose field needs a scope).

const API_KEY = { 'x-api-key': 'pk_demo_acme_7Qm2xVb9Lr4Tz8Kw' };

// A JSON Schema 2020-12 validator (the dialect of OpenAPI 3.1), the one the OpenAPI validator uses.
const requireFromValidator = createRequire(createRequire(import.meta.url).resolve('@seriousme/openapi-schema-validator'));
const Ajv2020 = requireFromValidator('ajv/dist/2020').default as new (options: object) => {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

let orders: SubgraphHandle;
let products: SubgraphHandle;
let inventory: SubgraphHandle;
let idp: Idp;
let portico: TestPortico;
let partner: string;
let restricted: string;
let jwt: Record<string, string>;

beforeAll(async () => {
  [orders, products, inventory, idp] = await Promise.all([startSubgraph('orders'), startSubgraph('products'), startSubgraph('inventory'), startIdp()]);
  portico = await startTestPortico(
    { orders, products, inventory },
    { config: path.join(import.meta.dirname, 'fixtures/portico.config.ts'), env: { IDP_URL: idp.url } },
  );
  partner = new URL(portico.bff('partner').url).origin;
  restricted = new URL(portico.bff('partner-restricted').url).origin;
  jwt = { authorization: `Bearer ${await idp.issue({ sub: 'partner-7', aud: 'portico-partner', tenant: 't7', plan: 'pro', scopes: ['orders:read', 'orders:write', 'inventory:read'] })}` };
});
afterAll(async () => {
  await portico?.close(0);
  await Promise.all([orders?.release(), products?.release(), inventory?.release(), idp?.stop()]);
});
beforeEach(async () => {
  await Promise.all([orders.reset(), products.reset(), inventory.reset()]);
});

interface RestAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(origin: string, method: string, route: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<RestAnswer> {
  const response = await fetch(`${origin}${route}`, {
    method,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : undefined };
}

function expectProblem(answer: RestAnswer, status: number, code: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.json).toMatchObject({ type: `urn:portico:error:${code}`, status, code });
  expect(typeof answer.json.title).toBe('string');
}

describe('partner REST routes', () => {
  const callers = [
    ['a JWT caller', () => jwt],
    ['an API-key caller', () => API_KEY],
  ] as const;

  for (const [who, credentials] of callers) {
    it(`serves every route to ${who}`, async () => {
      const headers = credentials();
      const order = await call(partner, 'GET', '/v1/orders/o1', { headers });
      expect(order.status, order.text).toBe(200);
      expect(order.json).toEqual({
        id: 'o1',
        status: 'PENDING',
        createdAt: '2024-02-01T08:00:00.000Z',
        total: 17.98,
        items: [{ quantity: 2, product: { id: 'p8', name: 'Compact Planter' } }],
      });

      const detail = await call(partner, 'GET', '/v2/orders/o1', { headers });
      expect(detail.status, detail.text).toBe(200);
      expect(detail.json.items[0]).toEqual({
        quantity: 2,
        unitPrice: 8.99,
        product: { id: 'p8', name: 'Compact Planter', priceCents: 899, stock: { available: 6 } },
      });

      const list = await call(partner, 'GET', '/v1/orders?first=2&offset=1', { headers });
      expect(list.status, list.text).toBe(200);
      expect(list.json.map((o: { id: string }) => o.id)).toEqual(['o2', 'o3']);

      const page = await call(partner, 'GET', '/v1/products?page=2&pageSize=5', { headers });
      expect(page.status, page.text).toBe(200);
      expect(page.json).toMatchObject({ page: 2, pageSize: 5, total: 30 });
      expect(page.json.items.map((p: { id: string }) => p.id)).toEqual(['p6', 'p7', 'p8', 'p9', 'p10']);

      const product = await call(partner, 'GET', '/v1/products/p1', { headers });
      expect(product.status, product.text).toBe(200);
      expect(product.json).toMatchObject({ id: 'p1', sku: 'SKU-0001', stock: { available: 7 } });

      const cancelled = await call(partner, 'POST', '/v1/cancellations', { headers, body: JSON.stringify({ orderId: 'o6' }) });
      if (headers === API_KEY) {
        // cancelOrder needs orders:write (schemas/orders.graphql), which the demo key does not hold.
        expectProblem(cancelled, 403, 'FORBIDDEN');
      } else {
        expect(cancelled.status, cancelled.text).toBe(200);
        expect(cancelled.json).toEqual({ id: 'o6', status: 'CANCELLED' });
      }
    });
  }

  it('answers 404 RESOURCE_NOT_FOUND when the operation finds nothing for the parameters', async () => {
    expectProblem(await call(partner, 'GET', '/v2/orders/o999', { headers: API_KEY }), 404, 'RESOURCE_NOT_FOUND');
    expectProblem(await call(partner, 'POST', '/v1/cancellations', { headers: jwt, body: '{"orderId":"o999"}' }), 404, 'RESOURCE_NOT_FOUND');
  });

  it('answers 404 NOT_FOUND for an unknown path and 405 with Allow for another method on a known one', async () => {
    expectProblem(await call(partner, 'GET', '/v1/customers', { headers: API_KEY }), 404, 'NOT_FOUND');
    expectProblem(await call(partner, 'GET', '/v9/orders/o1', { headers: API_KEY }), 404, 'NOT_FOUND');
    const wrongMethod = await call(partner, 'DELETE', '/v1/orders/o1', { headers: API_KEY });
    expectProblem(wrongMethod, 405, 'OPERATION_NOT_ALLOWED');
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
  });

  it('refuses a query parameter of the wrong type with 400 naming it, before any source is called', async () => {
    const answer = await call(partner, 'GET', '/v1/orders?first=ten', { headers: API_KEY });
    expectProblem(answer, 400, 'BAD_USER_INPUT');
    expect(answer.json.invalidParams).toEqual([{ name: 'first', in: 'query', reason: 'must be a 32-bit integer' }]);
    expect(answer.json.detail).toBe('Query parameter "first" must be a 32-bit integer.');
    expectProblem(await call(partner, 'GET', '/v1/products?pageSize=1.5', { headers: API_KEY }), 400, 'BAD_USER_INPUT');
    expect((await orders.stats()).requests).toBe(0);
    expect((await products.stats()).requests).toBe(0);
  });

  it('refuses a missing or mistyped body property with 400 naming it', async () => {
    const missing = await call(partner, 'POST', '/v1/cancellations', { headers: API_KEY, body: '{}' });
    expectProblem(missing, 400, 'BAD_USER_INPUT');
    expect(missing.json.invalidParams).toEqual([{ name: 'orderId', in: 'body', reason: 'is required' }]);
    const mistyped = await call(partner, 'POST', '/v1/cancellations', { headers: API_KEY, body: '{"orderId":{"id":"o1"}}' });
    expectProblem(mistyped, 400, 'BAD_USER_INPUT');
    expect(mistyped.json.invalidParams[0]).toMatchObject({ name: 'orderId', in: 'body' });
    expect((await orders.stats()).requests).toBe(0);
  });

  it('refuses a body that is not JSON with 415, malformed JSON with 400 and an oversized one with 413', async () => {
    const form = await fetch(`${partner}/v1/cancellations`, {
      method: 'POST',
      headers: { ...API_KEY, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'orderId=o1',
    });
    expect(form.status).toBe(415);
    expectProblem(await call(partner, 'POST', '/v1/cancellations', { headers: API_KEY, body: '{"orderId":' }), 400, 'BAD_REQUEST');
    const huge = JSON.stringify({ orderId: 'o1', padding: 'x'.repeat(70_000) });
    expectProblem(await call(partner, 'POST', '/v1/cancellations', { headers: API_KEY, body: huge }), 413, 'PAYLOAD_TOO_LARGE');
    expect((await orders.stats()).requests).toBe(0);
  });

  it('answers 401 with the WWW-Authenticate challenge to a wrong API key, an invalid token or no credentials', async () => {
    const badKey = await call(partner, 'GET', '/v1/orders/o1', { headers: { 'x-api-key': 'pk_wrong_0000000000000000' } });
    expectProblem(badKey, 401, 'UNAUTHENTICATED');
    expect(badKey.headers.get('www-authenticate')).toContain('ApiKey');
    const expired = await idp.issue({ aud: 'portico-partner', expiresIn: -3600 });
    const badToken = await call(partner, 'GET', '/v1/orders/o1', { headers: { authorization: `Bearer ${expired}` } });
    expectProblem(badToken, 401, 'UNAUTHENTICATED');
    expect(badToken.headers.get('www-authenticate')).toContain('Bearer');
    // Orders are not public: an anonymous caller is asked to authenticate.
    const anonymous = await call(partner, 'GET', '/v1/orders/o1');
    expectProblem(anonymous, 401, 'UNAUTHENTICATED');
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect((await orders.stats()).requests).toBe(0);
  });

  it('speaks REST in its problems and carries the same reason and denied details as the GraphQL answer (issue 18, item 8)', async () => {
    // A refused change is not a refused read: the title says neither "read" nor "field".
    const refused = await call(partner, 'POST', '/v1/cancellations', { headers: API_KEY, body: '{"orderId":"o6"}' });
    expectProblem(refused, 403, 'FORBIDDEN');
    expect(refused.json.title).toBe('The caller is not allowed to do this.');
    expect(refused.text).not.toMatch(/read|GraphQL/);
    expect(refused.json.denied).toEqual([{ field: 'Mutation.cancelOrder', path: ['cancelOrder'] }]);
    // The same stored operation sent as GraphQL is refused with the same details.
    const graphql = await fetch(`${partner}/graphql`, {
      method: 'POST',
      headers: { ...API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { cancelOrder(id: "o6") { id status } }' }),
    });
    const graphqlBody = (await graphql.json()) as { errors: { extensions: { denied: unknown } }[] };
    expect(graphqlBody.errors[0]!.extensions.denied).toEqual(refused.json.denied);

    const anonymous = await call(partner, 'GET', '/v1/orders/o1');
    expectProblem(anonymous, 401, 'UNAUTHENTICATED');
    expect(anonymous.json).toMatchObject({ reason: 'credentials_required', denied: expect.arrayContaining([expect.objectContaining({ field: expect.any(String) })]) });

    // Bad JSON is a malformed request body, not a bad GraphQL request.
    const badJson = await call(partner, 'POST', '/v1/cancellations', { headers: API_KEY, body: '{"orderId":' });
    expectProblem(badJson, 400, 'BAD_REQUEST');
    expect(badJson.json.title).toBe('The request is malformed.');
    expect(badJson.text).not.toContain('GraphQL');
  });

  it('answers 403 when the caller lacks the scope a field of the route requires, before any source is called', async () => {
    // Order needs orders:read (schemas/orders.graphql); this partner's token only reads the catalogue.
    const catalogueOnly = { authorization: `Bearer ${await idp.issue({ sub: 'partner-8', aud: 'portico-partner', tenant: 't8', plan: 'pro', scopes: ['products:read'] })}` };
    const answer = await call(partner, 'GET', '/v1/orders/o1', { headers: catalogueOnly });
    expectProblem(answer, 403, 'FORBIDDEN');
    expect((await orders.stats()).requests).toBe(0);
    // The catalogue is public: the same caller reads it.
    expect((await call(partner, 'GET', '/v1/products?pageSize=2', { headers: catalogueOnly })).status).toBe(200);
  });

  it('answers 429 with Retry-After once the tenant plan’s budget is spent', async () => {
    const tiny = { authorization: `Bearer ${await idp.issue({ sub: 'small-partner', aud: 'portico-partner', tenant: 't-tiny', plan: 'tiny', scopes: ['orders:read'] })}` };
    const first = await call(restricted, 'GET', '/v1/products/p2', { headers: tiny });
    expect(first.status, first.text).toBe(200);
    let limited: RestAnswer | undefined;
    // A 40-point budget and a route that costs several points: spent within a few calls.
    for (let attempt = 0; attempt < 40 && !limited; attempt += 1) {
      const answer = await call(restricted, 'GET', '/v1/products/p2', { headers: tiny });
      if (answer.status !== 200) limited = answer;
    }
    expect(limited).toBeDefined();
    expectProblem(limited!, 429, 'RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another tenant is not affected.
    expect((await call(restricted, 'GET', '/v1/products/p2', { headers: API_KEY })).status).toBe(200);
  });

  it('answers 503 with Retry-After when the source behind the route is down', async () => {
    await orders.setFaults({ down: true });
    const answer = await call(partner, 'GET', '/v2/orders/o2', { headers: API_KEY });
    expectProblem(answer, 503, 'SUBGRAPH_UNAVAILABLE');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answer.json.errors).toEqual([expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', path: ['order'] })]);
    expect(answer.text).not.toContain(orders.url);
  });

  it('serves partial data with Portico-Partial-Errors, uncached and without an ETag, when a nested source fails', async () => {
    await inventory.setFaults({ down: true });
    const answer = await call(partner, 'GET', '/v2/orders/o3', { headers: API_KEY });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.items.map((item: any) => item.product.stock)).toEqual(answer.json.items.map(() => null));
    expect(answer.headers.get('portico-partial-errors')).toBe('SUBGRAPH_UNAVAILABLE');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('etag')).toBeNull();
  });

  it('answers 304 to If-None-Match with the current ETag, and 200 with a new one once the data changed', async () => {
    const first = await call(partner, 'GET', '/v1/orders/o5', { headers: API_KEY });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');

    const unchanged = await call(partner, 'GET', '/v1/orders/o5', { headers: { ...API_KEY, 'if-none-match': `"other", ${etag}` } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);

    expect((await call(partner, 'POST', '/v1/cancellations', { headers: jwt, body: '{"orderId":"o5"}' })).status).toBe(200);
    const changed = await call(partner, 'GET', '/v1/orders/o5', { headers: { ...API_KEY, 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.json.status).toBe('CANCELLED');
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('marks a deprecated version with Deprecation, Sunset and a Link to its successor; the successor has none', async () => {
    const v1 = await call(partner, 'GET', '/v1/orders/o1', { headers: API_KEY });
    expect(v1.headers.get('deprecation')).toBe(`@${Date.UTC(2025, 5, 1) / 1000}`);
    expect(v1.headers.get('sunset')).toBe('Thu, 31 Dec 2026 00:00:00 GMT');
    expect(v1.headers.get('link')).toBe('</v2/orders/o1>; rel="successor-version"');
    const v2 = await call(partner, 'GET', '/v2/orders/o1', { headers: API_KEY });
    expect(v2.status).toBe(200);
    expect(v2.headers.get('deprecation')).toBeNull();
    expect(v2.headers.get('sunset')).toBeNull();
  });

  it('does not let one partner’s refusal decide the next partner’s request for the same route', async () => {
    // Every call of a route sends the same stored document, so a decision cached per document
    // would let the first caller's refusal deny everyone else (or the reverse). A fresh BFF, so
    // this is the first time it sees the route's document.
    expectProblem(await call(restricted, 'POST', '/v1/cancellations', { headers: API_KEY, body: '{"orderId":"o9"}' }), 403, 'FORBIDDEN');
    const allowed = await call(restricted, 'POST', '/v1/cancellations', { headers: jwt, body: '{"orderId":"o9"}' });
    expect(allowed.status, allowed.text).toBe(200);
  });

  it('keeps the partner’s request id on the answer and on the upstream calls', async () => {
    const answer = await call(partner, 'GET', '/v1/orders/o1', { headers: { ...API_KEY, 'x-request-id': 'partner-req-42' } });
    expect(answer.headers.get('x-request-id')).toBe('partner-req-42');
    expect((await orders.requests()).map((r) => r.headers['x-request-id'])).toContain('partner-req-42');
  });
});

describe('a partner route cannot be used to run anything but its stored operation', () => {
  it('serves its routes on a stored-only BFF, which refuses ad-hoc GraphQL and runs a route operation by hash', async () => {
    expect((await call(restricted, 'GET', '/v2/orders/o2', { headers: jwt })).status).toBe(200);
    const graphql = portico.bff('partner-restricted').url;
    const post = (body: unknown) =>
      fetch(graphql, { method: 'POST', headers: { 'content-type': 'application/json', ...jwt }, body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        json: (await r.json()) as any,
      }));
    const adHoc = await post({ query: '{ order(id: "o2") { id status } }' });
    expect(adHoc.status).toBe(400);
    expect(adHoc.json.errors[0].extensions.code).toBe('PERSISTED_DOCUMENT_REQUIRED');
    const text = await readFile(path.resolve(import.meta.dirname, '../../bffs/partner/operations/getOrderV2.graphql'), 'utf8');
    const byHash = await post({ documentId: `sha256:${createHash('sha256').update(text).digest('hex')}`, variables: { id: 'o2' } });
    expect(byHash.status).toBe(200);
    expect(byHash.json.data.order.id).toBe('o2');
  });

  it('refuses query parameters that would carry GraphQL (query, fields, operationName, variables) without calling any source', async () => {
    for (const smuggled of [
      'query=%7B%20orders%20%7B%20id%20%7D%20%7D',
      'fields=id,user%7Bemail%7D',
      'operationName=PartnerOrders',
      'variables=%7B%22id%22%3A%22o2%22%7D',
      'extensions=%7B%7D',
    ]) {
      const answer = await call(partner, 'GET', `/v1/orders/o1?${smuggled}`, { headers: API_KEY });
      expectProblem(answer, 400, 'BAD_USER_INPUT');
      expect(answer.json.invalidParams[0]).toMatchObject({ name: smuggled.split('=')[0], in: 'query', reason: 'is not a parameter of this route' });
    }
    expect((await orders.stats()).requests).toBe(0);
  });

  it('refuses a body that carries a GraphQL document or variables', async () => {
    const answer = await call(partner, 'POST', '/v1/cancellations', {
      headers: API_KEY,
      body: JSON.stringify({ orderId: 'o1', query: 'mutation { cancelOrder(id: "o2") { id } }', variables: { orderId: 'o2' } }),
    });
    expectProblem(answer, 400, 'BAD_USER_INPUT');
    expect(answer.json.invalidParams.map((p: { name: string }) => p.name)).toEqual(['query', 'variables']);
    expect((await orders.stats()).requests).toBe(0);
  });

  it('sends the subgraph only the fields of the stored selection', async () => {
    const answer = await call(partner, 'GET', '/v1/orders/o1', { headers: API_KEY });
    expect(answer.status).toBe(200);
    const fields = new Set<string>();
    for (const request of await orders.requests()) {
      const { query } = request.body as { query: string };
      visit(parse(query), { [Kind.FIELD]: (node) => void fields.add(node.name.value) });
    }
    // The stored v1 selection, plus what stitching needs to join products (keys, type names).
    const stored = ['order', 'id', 'status', 'createdAt', 'total', 'items', 'quantity', 'product', '__typename'];
    expect([...fields].filter((field) => !stored.includes(field))).toEqual([]);
    expect(fields).toContain('order');
  });
});

describe('the OpenAPI documents', () => {
  const versions = ['v1', 'v2'];

  it('are valid OpenAPI 3.1, one per version, each listing only its version’s routes', async () => {
    for (const version of versions) {
      const answer = await call(partner, 'GET', `/${version}/openapi.json`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('etag')).toMatch(/^"/);
      const validator = new Validator();
      const result = await validator.validate(answer.json);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
      expect(Object.keys(answer.json.paths).every((p) => p.startsWith(`/${version}/`))).toBe(true);
    }
  });

  it('publish the accepted credentials, the deprecation and problem+json error responses', async () => {
    const { json: doc } = await call(partner, 'GET', '/v1/openapi.json');
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      apiKeyAuth: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    });
    const getOrder = doc.paths['/v1/orders/{id}'].get;
    expect(getOrder.deprecated).toBe(true);
    expect(Object.keys(getOrder.responses['200'].headers)).toEqual(expect.arrayContaining(['ETag', 'Deprecation', 'Sunset', 'Link']));
    for (const status of ['400', '401', '403', '404', '429', '503']) {
      const response = doc.components.responses[status];
      expect(getOrder.responses[status]).toEqual({ $ref: `#/components/responses/${status}` });
      expect(Object.keys(response.content)).toEqual(['application/problem+json']);
    }
    expect(Object.keys(doc.components.responses['429'].headers)).toEqual(['Retry-After']);
    // The response schema is the stored selection, nothing more.
    const order = getOrder.responses['200'].content['application/json'].schema;
    expect(Object.keys(order.properties)).toEqual(['id', 'status', 'createdAt', 'total', 'items']);
    expect(order.additionalProperties).toBe(false);
  });

  it('is all a generic client needs to call every route successfully', async () => {
    // Nothing below knows a route: paths, methods, parameters, bodies and credentials all come
    // from the documents. The caller holds a token with the scopes every route needs.
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    let called = 0;
    for (const version of versions) {
      const { json: doc } = await call(partner, 'GET', `/${version}/openapi.json`);
      const bearer = Object.entries(doc.components.securitySchemes as Record<string, any>).find(([, s]) => s.type === 'http' && s.scheme === 'bearer');
      expect(bearer).toBeDefined();
      for (const [template, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        for (const [method, operation] of Object.entries(item)) {
          const parameters: any[] = operation.parameters ?? [];
          const route = template.replace(/\{([^}]+)\}/g, (_, name: string) =>
            encodeURIComponent(String(parameters.find((p) => p.in === 'path' && p.name === name).example)),
          );
          const query = new URLSearchParams();
          for (const parameter of parameters.filter((p) => p.in === 'query')) query.append(parameter.name, String(parameter.example));
          const body = operation.requestBody?.content['application/json'].example;
          const answer = await call(partner, method.toUpperCase(), `${route}${query.size ? `?${query}` : ''}`, {
            headers: jwt,
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          expect(answer.status, `${method.toUpperCase()} ${route}: ${answer.text}`).toBe(200);
          const validate = ajv.compile(operation.responses['200'].content['application/json'].schema);
          expect(validate(answer.json), `${operation.operationId}: ${JSON.stringify(validate.errors)}`).toBe(true);
          called += 1;
        }
      }
    }
    expect(called).toBe(6);
  });
});
