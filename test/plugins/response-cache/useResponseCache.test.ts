import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startAllSubgraphs, type SubgraphName, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

const CONFIG = path.join(import.meta.dirname, 'fixture', 'portico.config.ts');

let idp: Idp;
let subgraphs: SubgraphSet;
let portico: TestPortico;
let url: string;
const tokens: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };
const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` });

beforeAll(async () => {
  [idp, subgraphs] = await Promise.all([startIdp(), startAllSubgraphs()]);
  portico = await startTestPortico(subgraphs, { config: CONFIG, env: { IDP_URL: idp.url } });
  url = portico.bff('cached').url;
  // Two users of one tenant with the same scopes and roles: only who they are tells their entries
  // apart. Both are admins, whom the users' and orders' @owner rules let read and cancel anyone's
  // data: these tests need two callers asking the very same personal question (issue 18, item 8).
  tokens.alice = await idp.issue({ sub: 'u1', tenant: 't1', scopes: ['orders:read', 'orders:write'], roles: ['admin'] });
  tokens.bob = await idp.issue({ sub: 'u2', tenant: 't1', scopes: ['orders:read', 'orders:write'], roles: ['admin'] });
  tokens.carol = await idp.issue({ sub: 'u3', tenant: 't1', scopes: [] });
});

afterAll(async () => {
  await portico?.close(0);
  await Promise.all([subgraphs?.[Symbol.asyncDispose](), idp?.stop()]);
});

beforeEach(async () => {
  await Promise.all((['users', 'orders', 'products', 'inventory'] as const).map((name) => subgraphs[name].reset()));
});

const requestsTo = async (name: SubgraphName) => (await subgraphs[name].stats()).requests;

describe('the response cache', () => {
  it('serves a PUBLIC response from the cache without calling the subgraph, to anyone', async () => {
    const query = '{ products(pageSize: 3) { items { id name } } }';
    const first = await gql(url, query);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect(first.headers.get('age')).toBeNull();
    expect(await requestsTo('products')).toBe(1);

    const second = await gql(url, query);
    const signedIn = await gql(url, query, undefined, as('bob'));
    expect(await requestsTo('products')).toBe(1);
    for (const hit of [second, signedIn]) {
      expect(hit.body).toEqual(first.body);
      expect(Number(hit.headers.get('age'))).toBeGreaterThanOrEqual(0);
    }
    expect(second.headers.get('cache-control')).toBe('public, max-age=60');
    // Shared by the gateway, but a CDN must not keep what a signed-in caller was answered.
    expect(signedIn.headers.get('cache-control')).toBe('private, max-age=60');
  });

  it('never serves a PRIVATE response cached for one user to another', async () => {
    const query = 'query Profile($id: ID!) { user(id: $id) { id name tenant { name } } }';
    const alice = await gql(url, query, { id: 'u1' }, as('alice'));
    expect(alice.headers.get('cache-control')).toBe('private, max-age=60');
    expect((await gql(url, query, { id: 'u1' }, as('alice'))).headers.get('age')).not.toBeNull();
    expect(await requestsTo('users')).toBe(1);

    // Bob asks the very same question: answered by the subgraph, on Bob's identity.
    const bob = await gql(url, query, { id: 'u1' }, as('bob'));
    expect(bob.headers.get('age')).toBeNull();
    expect(await requestsTo('users')).toBe(2);
    const [, bobsCall] = await subgraphs.users.requests();
    expect(bobsCall?.headers['x-portico-subject']).toBe('u2');

    // Each now has an entry of their own; neither is served the other's.
    await gql(url, query, { id: 'u1' }, as('bob'));
    await gql(url, query, { id: 'u1' }, as('alice'));
    expect(await requestsTo('users')).toBe(2);
  });

  it('never caches PRIVATE data for anonymous callers', async () => {
    const query = '{ user(id: "u1") { id name } }';
    for (let i = 0; i < 2; i++) {
      const response = await gql(url, query);
      expect(response.body.data?.user).toEqual({ id: 'u1', name: expect.any(String) });
      expect(response.headers.get('cache-control')).toBe('private, max-age=60');
      expect(response.headers.get('age')).toBeNull();
    }
    expect(await requestsTo('users')).toBe(2);
  });

  it('purges a cached order, for every user, when cancelOrder returns it', async () => {
    const order = 'query Order($id: ID!) { order(id: $id) { id status } }';
    await gql(url, order, { id: 'o1' }, as('alice'));
    await gql(url, order, { id: 'o1' }, as('bob'));
    await gql(url, order, { id: 'o2' }, as('alice'));
    expect((await gql(url, order, { id: 'o1' }, as('alice'))).headers.get('age')).not.toBeNull();
    expect(await requestsTo('orders')).toBe(3);

    // The mutation selects no id: the gateway still learns which entity it returned.
    const cancel = await gql(url, 'mutation { cancelOrder(id: "o1") { status } }', undefined, as('alice'));
    expect(cancel.body).toEqual({ data: { cancelOrder: { status: 'CANCELLED' } } });
    expect(cancel.headers.get('cache-control')).toBe('no-store');
    expect(await requestsTo('orders')).toBe(4);

    for (const who of ['alice', 'bob'] as const) {
      const fresh = await gql(url, order, { id: 'o1' }, as(who));
      expect(fresh.body.data?.order).toEqual({ id: 'o1', status: 'CANCELLED' });
      expect(fresh.headers.get('age')).toBeNull();
    }
    expect(await requestsTo('orders')).toBe(6);
    // An order the mutation did not return stays cached.
    expect((await gql(url, order, { id: 'o2' }, as('alice'))).headers.get('age')).not.toBeNull();
    expect(await requestsTo('orders')).toBe(6);
  });

  it('caches a response for the shortest max-age of its fields', async () => {
    const response = await gql(url, '{ products(pageSize: 2) { items { name stock { available } } } }', undefined, as('alice'));
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get('cache-control')).toBe('private, max-age=5');
  });

  it('does not cache a query with a field that forbids caching', async () => {
    // `stock(productId:)` says @cacheControl(maxAge: 0), overriding its type's 5 s.
    const query = '{ stock(productId: "p1") { available } }';
    const first = await gql(url, query, undefined, as('alice'));
    expect(first.headers.get('cache-control')).toBe('no-store');
    await gql(url, query, undefined, as('alice'));
    expect(await requestsTo('inventory')).toBe(2);
  });

  it('never answers from the cache what field authorization denies the caller', async () => {
    const query = '{ products(pageSize: 5) { items { id stock { available } } } }';
    const alice = await gql(url, query, undefined, as('alice'));
    expect(alice.body.data?.products.items[0].stock).toEqual({ available: expect.any(Number) });
    expect(alice.headers.get('cache-control')).toBe('private, max-age=5');

    // Carol may not read stock: she gets nulls and FORBIDDEN at the stock paths, not Alice's entry.
    const carol = await gql(url, query, undefined, as('carol'));
    expect(carol.body.data?.products.items[0]).toEqual({ id: 'p1', stock: null });
    expect(carol.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(carol.headers.get('cache-control')).toBe('no-store');
    expect(carol.headers.get('age')).toBeNull();
  });

  // Last two: failing inventory calls may open its breaker for the rest of the file.
  it('does not cache a response holding stale fallback data', async () => {
    const stockOf = (alias: string) => `{ ${alias}: products(page: 5, pageSize: 2) { items { stock { available } } } }`;
    // Read while inventory is healthy: the transport's fallback cache now holds p9 and p10's stock.
    expect((await gql(url, stockOf('healthy'), undefined, as('alice'))).body.errors).toBeUndefined();
    await subgraphs.inventory.setFaults({ errorRate: 1 });
    for (let i = 0; i < 2; i++) {
      const stale = await gql(url, stockOf('shelf'), undefined, as('alice'));
      expect((stale.body as { extensions?: Record<string, unknown> }).extensions?.stale).toEqual([expect.objectContaining({ source: 'inventory' })]);
      expect(stale.headers.get('cache-control')).toBe('no-store');
    }
    expect(await requestsTo('products')).toBe(3);
  });

  it('does not cache a response carrying errors', async () => {
    await subgraphs.inventory.setFaults({ errorRate: 1 });
    // A page no earlier test read: the fallback cache has nothing for it either.
    const query = '{ products(page: 4, pageSize: 4) { items { name stock { available } } } }';
    const first = await gql(url, query, undefined, as('alice'));
    expect(first.body.errors?.length).toBeGreaterThan(0);
    expect(first.headers.get('cache-control')).toBe('no-store');
    await gql(url, query, undefined, as('alice'));
    expect(await requestsTo('products')).toBe(2);
  });
});

describe('the response cache in Redis, shared by a fleet', () => {
  let redis: RedisHandle;
  let fleet: TestPortico[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    const env = { IDP_URL: idp.url, REDIS_URL: redis.url };
    fleet = await Promise.all([startTestPortico(subgraphs, { config: CONFIG, env }), startTestPortico(subgraphs, { config: CONFIG, env })]);
  });
  afterAll(async () => {
    await Promise.all(fleet.map((instance) => instance.close(0)));
    await redis?.stop();
  });
  const urlOf = (i: number) => fleet[i]!.bff('cached').url;

  it('serves a response cached by one instance from another without a subgraph call', async () => {
    const query = '{ products(page: 2, pageSize: 3) { items { id name } } }';
    const first = await gql(urlOf(0), query);
    const second = await gql(urlOf(1), query);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('age')).not.toBeNull();
    expect(await requestsTo('products')).toBe(1);
  });

  it('purges an entry cached through one instance when a mutation goes through another', async () => {
    const order = '{ order(id: "o3") { id status } }';
    await gql(urlOf(0), order, undefined, as('alice'));
    expect((await gql(urlOf(1), order, undefined, as('alice'))).headers.get('age')).not.toBeNull();
    await gql(urlOf(1), 'mutation { cancelOrder(id: "o3") { id } }', undefined, as('bob'));
    const fresh = await gql(urlOf(0), order, undefined, as('alice'));
    expect(fresh.body.data?.order).toEqual({ id: 'o3', status: 'CANCELLED' });
    expect(fresh.headers.get('age')).toBeNull();
    // Alice's PRIVATE entry, Bob's mutation: a purge is about the entity, not about who cached it.
    expect(await requestsTo('orders')).toBe(3);
  });

  it('keeps PRIVATE entries apart across instances', async () => {
    const query = '{ user(id: "u5") { id name } }';
    await gql(urlOf(0), query, undefined, as('alice'));
    const bob = await gql(urlOf(1), query, undefined, as('bob'));
    expect(bob.headers.get('age')).toBeNull();
    expect((await gql(urlOf(1), query, undefined, as('alice'))).headers.get('age')).not.toBeNull();
    expect(await requestsTo('users')).toBe(2);
  });
});
