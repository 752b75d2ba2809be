import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';
import { mergePayloads, readMultipart } from '../../support/multipartReader.js';

// @defer/@stream on the demo BFFs (docs/defer-stream.md), against the real demo subgraphs and
// IdP: one gateway runs the repo's config as it is (the web BFF by plan,
// src/compose/createBffPlanner.ts), a second one over the same processes runs every BFF by
// stitching (`engine: 'stitch'`).
let subgraphs: SubgraphSet;
let idp: Idp;
let planned: TestPortico;
let stitched: TestPortico;
// A BFF with the response cache on and a partner route over a stored @defer operation.
let withRules: TestPortico;
beforeAll(async () => {
  [subgraphs, idp] = await Promise.all([startAllSubgraphs(), startIdp()]);
  [planned, withRules] = await Promise.all([
    startTestPortico(subgraphs, { env: { IDP_URL: idp.url } }),
    startTestPortico(subgraphs, { env: { IDP_URL: idp.url }, config: path.join(import.meta.dirname, 'fixture', 'portico.config.ts') }),
  ]);
  const previous = process.env['PORTICO_TEST_ENGINE'];
  process.env['PORTICO_TEST_ENGINE'] = 'stitch';
  try {
    stitched = await startTestPortico(subgraphs, { env: { IDP_URL: idp.url } });
  } finally {
    if (previous === undefined) delete process.env['PORTICO_TEST_ENGINE'];
    else process.env['PORTICO_TEST_ENGINE'] = previous;
  }
});
afterAll(async () => {
  await Promise.all([planned?.close(0), stitched?.close(0), withRules?.close(0)]);
  await Promise.all([subgraphs?.[Symbol.asyncDispose](), idp?.stop()]);
});
beforeEach(async () => {
  await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.reset()));
});

const MULTIPART = 'multipart/mixed;deferSpec=20220824, application/json;q=0.9';
const signedIn = async () => ({ authorization: `Bearer ${await idp.issue({ sub: 'u1', scopes: ['orders:read', 'inventory:read'] })}` });

/** POSTs a query asking for incremental delivery; the response is read part by part. */
async function postIncremental(url: string, query: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MULTIPART, ...headers }, body: JSON.stringify({ query }) });
}

const USER_WITH_DEFERRED_ORDERS = /* GraphQL */ `
  {
    user(id: "u1") {
      name
      ... @defer(label: "orders") {
        orders(first: 2) { id status items { quantity product { name } } }
      }
    }
  }
`;

const engines = [
  ['plan (web BFF, BFF planner)', () => planned.bff('web').url],
  ['stitch (engine: stitch)', () => stitched.bff('web').url],
] as const;

describe.each(engines)('@defer through %s', (_engine, web) => {
  it('sends the first payload while the deferred subgraph is held, then the deferred part once it answers', async () => {
    const orders = subgraphs.orders;
    await orders.setFaults({ hang: true });
    const response = await postIncremental(web(), USER_WITH_DEFERRED_ORDERS, await signedIn());
    expect(response.status).toBe(200);
    const parts = readMultipart(response);
    const first = await parts.next();
    // The initial payload is here although orders has not answered (it holds every request).
    expect(first.value).toEqual({ data: { user: { name: 'Ada Lovelace' } }, hasNext: true });
    await orders.waitForStats((stats) => stats.inFlight >= 1);
    await orders.setFaults({ hang: false });
    const rest: Record<string, unknown>[] = [];
    for await (const part of parts) rest.push(part);
    expect(rest.at(-1)?.['hasNext']).toBe(false);
    const merged = mergePayloads([first.value!, ...rest]);
    expect(merged.errors).toEqual([]);
    const deferred = rest.flatMap((part) => (part['incremental'] as { label?: string; path: unknown[] }[] | undefined) ?? []);
    expect(deferred.map((entry) => [entry.label, entry.path])).toEqual([['orders', ['user']]]);

    // The same query without incremental delivery: one JSON answer, the very same data.
    const whole = await gql(web(), USER_WITH_DEFERRED_ORDERS, undefined, await signedIn());
    expect(whole.status).toBe(200);
    expect(whole.body).toEqual({ data: merged.data });
    expect((whole.body.data as any).user.orders).toHaveLength(2);
  });

  it('puts the error of a deferred part at its path, with its code, in the deferred payload', async () => {
    await subgraphs.orders.setFaults({ down: true });
    // Fields no earlier test fetched: the fallback cache has no last good answer to serve instead.
    const query = USER_WITH_DEFERRED_ORDERS.replace('orders(first: 2) { id status items { quantity product { name } } }', 'orders(first: 3) { id createdAt }');
    const response = await postIncremental(web(), query, await signedIn());
    const payloads: Record<string, unknown>[] = [];
    for await (const part of readMultipart(response)) payloads.push(part);
    expect(payloads[0]).toEqual({ data: { user: { name: 'Ada Lovelace' } }, hasNext: true });
    const deferred = payloads.slice(1).flatMap((part) => (part['incremental'] as { errors?: { path: unknown[]; extensions: { code: string } }[] }[] | undefined) ?? []);
    const errors = deferred.flatMap((entry) => entry.errors ?? []);
    // User.orders is non-null: the deferred fragment's data is null, its error at the field's path.
    expect(deferred).toEqual([{ data: null, path: ['user'], label: 'orders', errors: [expect.objectContaining({ path: ['user', 'orders'] })] }]);
    expect(errors.map((error) => error.extensions.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });

  it('@stream sends the first items, then the rest one payload at a time', async () => {
    const query = '{ products(pageSize: 4) { items @stream(initialCount: 1) { id name } } }';
    const response = await postIncremental(web(), query);
    const payloads: Record<string, unknown>[] = [];
    for await (const part of readMultipart(response)) payloads.push(part);
    expect((payloads[0]!['data'] as any).products.items).toHaveLength(1);
    const streamed = payloads.slice(1).flatMap((part) => (part['incremental'] as { items: unknown[]; path: unknown[] }[] | undefined) ?? []);
    expect(streamed.map((entry) => entry.path)).toEqual([
      ['products', 'items', 1],
      ['products', 'items', 2],
      ['products', 'items', 3],
    ]);
    const whole = await gql(web(), query);
    expect(whole.body).toEqual({ data: mergePayloads(payloads).data });
  });
});

describe('the documented rules for @defer/@stream (docs/defer-stream.md)', () => {
  const query = '{ products(pageSize: 2) { items { id ... @defer { name description } } } }';
  const url = () => withRules.bff('deferred').url;
  const productCalls = async () => (await subgraphs.products.stats()).requests;

  it('a client that does not ask for incremental delivery gets the whole result in one JSON answer', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json', '*/*']) {
      const response = await fetch(planned.bff('web').url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) });
      expect(response.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
      const body = (await response.json()) as { data: { products: { items: { id: string; name: string; description: string }[] } } };
      expect(body.data.products.items.map((item) => Object.keys(item))).toEqual([
        ['id', 'name', 'description'],
        ['id', 'name', 'description'],
      ]);
    }
  });

  it('a client that accepts text/event-stream gets the payloads as server-sent events', async () => {
    const response = await fetch(planned.bff('web').url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ query }) });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const payloads = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 'data: '.length)
      .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
    expect(payloads[0]).toEqual({ data: { products: { items: [{ id: 'p1' }, { id: 'p2' }] } }, hasNext: true });
    expect(payloads.at(-1)?.['hasNext']).toBe(false);
    expect({ data: mergePayloads(payloads).data }).toEqual((await gql(planned.bff('web').url, query)).body);
  });

  it('the response cache stores only complete results: an incremental answer is not stored, a complete one is, and a hit is one complete answer', async () => {
    // Incremental miss: answered part by part, never stored, marked no-store.
    const incremental = await postIncremental(url(), query);
    expect(incremental.headers.get('cache-control')).toBe('no-store');
    const payloads: Record<string, unknown>[] = [];
    for await (const part of readMultipart(incremental)) payloads.push(part);
    expect(payloads.length).toBeGreaterThan(1);
    const afterIncremental = await productCalls();

    // The same query asked for one answer: executed (the incremental one left nothing), then stored.
    const complete = await gql(url(), query);
    expect(complete.headers.get('cache-control')).toBe('public, max-age=60');
    expect(complete.body).toEqual({ data: mergePayloads(payloads).data });
    const afterComplete = await productCalls();
    expect(afterComplete).toBeGreaterThan(afterIncremental);

    // Now a hit, for either kind of client: the complete result at once, no source called.
    const hit = await postIncremental(url(), query);
    expect(hit.headers.get('content-type')).toMatch(/^application\/json/);
    expect(hit.headers.get('age')).not.toBeNull();
    expect(await hit.json()).toEqual(complete.body);
    expect(await productCalls()).toBe(afterComplete);
  });

  it('a partner route over a stored @defer operation answers one complete JSON body', async () => {
    const token = await idp.issue({ sub: 'u1', scopes: ['inventory:read'] });
    const response = await fetch(`${new URL(url()).origin}/v1/products/p1`, { headers: { authorization: `Bearer ${token}`, accept: MULTIPART } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { id: string; name: string; stock: { available: number } };
    expect(body).toEqual({ id: 'p1', name: expect.any(String), stock: { available: expect.any(Number) } });
  });
});
