import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSubgraph, type SubgraphHandle } from '../support/subgraphs.js';

// One REST and one GraphQL service: the knobs live in subgraphs/shared, so every service has them.
let products: SubgraphHandle;
let users: SubgraphHandle;
beforeAll(async () => {
  [products, users] = await Promise.all([startSubgraph('products'), startSubgraph('users')]);
});
afterAll(() => Promise.all([products.release(), users.release()]));
beforeEach(() => Promise.all([products.reset(), users.reset()]));

const getProduct = (id = 'p1', headers: Record<string, string> = {}) =>
  fetch(`${products.url}/products/${id}`, { headers });

describe('counters and request log', () => {
  it('counts requests per route and excludes admin calls', async () => {
    await getProduct('p1');
    await products.stats();
    await getProduct('p2');
    await fetch(`${products.url}/products?ids=p1,p2`);
    await fetch(`${products.url}/nowhere`);
    await products.requests();

    const stats = await products.stats();
    expect(stats.requests).toBe(4);
    expect(stats.byRoute).toEqual({ 'GET /products/:id': 2, 'GET /products?ids': 1, 'GET *': 1 });
    expect(stats.inFlight).toBe(0);
  });

  it('exposes the headers of the last request and of each recent one', async () => {
    await getProduct('p1', { 'x-request-id': 'req-1' });
    await getProduct('p2', { 'x-request-id': 'req-2', 'x-tenant': 't3' });

    expect((await products.stats()).lastHeaders).toMatchObject({ 'x-request-id': 'req-2', 'x-tenant': 't3' });
    const recent = await products.requests();
    expect(recent.map((r) => [r.path, r.headers['x-request-id']])).toEqual([
      ['/products/p1', 'req-1'],
      ['/products/p2', 'req-2'],
    ]);
  });

  it('keeps only the last 200 requests', async () => {
    for (let i = 1; i <= 205; i += 1) await getProduct(`p${(i % 30) + 1}`, { 'x-seq': String(i) });
    const recent = await products.requests();
    expect(recent).toHaveLength(200);
    expect(recent[0]?.headers['x-seq']).toBe('6');
    expect((await products.stats()).requests).toBe(205);
  });

  it('tracks the highest number of requests in flight at once', async () => {
    await products.setFaults({ hang: true });
    const pending = Array.from({ length: 5 }, (_, i) => getProduct(`p${i + 1}`));
    await products.waitForStats((s) => s.inFlight === 5);

    await products.setFaults({ hang: false });
    const statuses = (await Promise.all(pending)).map((r) => r.status);

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(await products.stats()).toMatchObject({ inFlight: 0, maxInFlight: 5, requests: 5 });
  });
});

describe('fault knobs', () => {
  it('fails every second request at errorRate 0.5', async () => {
    await products.setFaults({ errorRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await getProduct()).status);
    expect(statuses).toEqual([200, 500, 200, 500, 200, 500]);
  });

  it('answers an injected failure with a JSON body: an error code for REST, GraphQL errors for GraphQL', async () => {
    await Promise.all([products.setFaults({ errorRate: 1 }), users.setFaults({ errorRate: 1 })]);

    const rest = await getProduct();
    expect([rest.status, await rest.json()]).toEqual([500, { error: 'injected_fault' }]);
    const graphql = await fetch(users.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ user(id: "u1") { id } }' }),
    });
    expect(graphql.status).toBe(500);
    expect(await graphql.json()).toMatchObject({ errors: [{ extensions: { code: 'INJECTED_FAULT' } }] });
  });

  it('answers 200 with a body that is not JSON when invalidJson is set', async () => {
    await products.setFaults({ invalidJson: true });
    const response = await getProduct();
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('drops the connection when down, while the admin API keeps answering', async () => {
    await products.setFaults({ down: true });

    await expect(getProduct()).rejects.toMatchObject({ cause: { code: 'UND_ERR_SOCKET' } });
    await expect(getProduct()).rejects.toMatchObject({ cause: { code: 'UND_ERR_SOCKET' } });
    expect(await products.stats()).toMatchObject({ requests: 2, inFlight: 0 });

    await products.setFaults({ down: false });
    expect((await getProduct()).status).toBe(200);
  });

  it('holds requests unanswered while hang is set, and answers them after reset', async () => {
    await users.setFaults({ hang: true });
    const pending = fetch(users.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ user(id: "u1") { id } }' }),
    });
    await users.waitForStats((s) => s.inFlight === 1);

    await users.reset();

    const response = await pending;
    expect(await response.json()).toEqual({ data: { user: { id: 'u1' } } });
    expect(await users.stats()).toMatchObject({ inFlight: 0 });
  });

  it('stops counting a hanging request as in flight once its client gives up', async () => {
    await products.setFaults({ hang: true });
    const abort = new AbortController();
    const pending = getProduct('p1');
    const abandoned = fetch(`${products.url}/products/p2`, { signal: abort.signal }).catch(() => 'aborted');
    await products.waitForStats((s) => s.inFlight === 2);

    abort.abort();

    expect(await abandoned).toBe('aborted');
    await products.waitForStats((s) => s.inFlight === 1);
    await products.setFaults({ hang: false });
    expect((await pending).status).toBe(200);
  });

  it('delays answers by latencyMs', async () => {
    await products.setFaults({ latencyMs: 80 });
    const started = performance.now();
    expect((await getProduct()).status).toBe(200);
    // A lower bound only: timers never fire early, so this cannot flake on a slow machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(79);
  });

  it('rejects unknown or out-of-range knobs with 400 and keeps the current ones', async () => {
    const typo = await fetch(`${products.baseUrl}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorrate: 1 }),
    });
    const outOfRange = await fetch(`${products.baseUrl}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 2 }),
    });
    expect([typo.status, outOfRange.status]).toEqual([400, 400]);
    expect(await products.setFaults({})).toEqual({
      latencyMs: 0,
      errorRate: 0,
      invalidJson: false,
      down: false,
      hang: false,
    });
  });

  it('starts with knobs from FAULT_* env vars and returns to them on reset', async () => {
    await using inventory = await startSubgraph('inventory', { FAULT_ERROR_RATE: '0.5', FAULT_LATENCY_MS: '1' });
    const get = async () => (await fetch(`${inventory.url}/inventory/p1`)).status;

    expect([await get(), await get()]).toEqual([200, 500]);
    await inventory.setFaults({ errorRate: 0 });
    expect(await get()).toBe(200);
    expect(await inventory.reset()).toMatchObject({ errorRate: 0.5, latencyMs: 1 });
    expect([await get(), await get()]).toEqual([200, 500]);
  });

  it('refuses to start on a malformed FAULT_* value, naming the variable', async () => {
    await expect(startSubgraph('inventory', { FAULT_ERROR_RATE: 'half' })).rejects.toThrow(
      /exited before READY[\s\S]*FAULT_ERROR_RATE: expected a number from 0 to 1, got "half"/,
    );
  });
});
