import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { gql } from '../../support/portico.js';
import { useHeadersScenario } from './scenario.js';

// Header rules (docs/headers.md) observed where they matter: the headers each real subgraph
// received, and the headers of the client's response. Scenario: ./portico.config.ts, ./sources.ts.

const scenario = useHeadersScenario();
// A GraphQL source (users), a federation subgraph (orders) and both REST sources (products, inventory).
const FOUR_SOURCES = '{ user(id: "u1") { name orders(first: 1) { items { product { name stock { available } } } } } }';
const CATALOGUE = '{ product(id: "p1") { name } }';
const CATALOGUE_AND_STOCK = '{ product(id: "p1") { name stock { available } } }';
const CLIENT = {
  'accept-language': 'de-CH',
  cookie: 'session=s3cr3t',
  'x-feature-dark-mode': 'on',
  'x-unlisted': 'never',
};

describe.each(['web', 'stitch'])('header rules on the %s BFF', (bff) => {
  const url = () => scenario.portico.bff(bff).url;

  it('forwards only what a rule allows, per source: credentials only where a rule names them', async () => {
    const token = await scenario.token('u1');
    const response = await gql(url(), FOUR_SOURCES, undefined, { authorization: `Bearer ${token}`, ...CLIENT });
    expect(response.body.errors).toBeUndefined();
    const { users, orders, products, inventory } = await scenario.received();
    for (const [name, seen] of Object.entries({ users, orders, products, inventory })) {
      expect(seen.length, `${name} was called`).toBeGreaterThan(0);
    }

    for (const request of users) {
      // users names `authorization`: the bearer token reaches it, and only it.
      expect(request.headers['authorization']).toBe(`Bearer ${token}`);
      expect(request.headers['cookie']).toBeUndefined();
      expect(request.headers['x-locale']).toBe('de-CH');
      expect(request.headers['x-feature-dark-mode']).toBe('on');
      expect(request.headers['x-bff']).toBe(bff);
    }
    for (const request of orders) {
      expect(request.headers['authorization']).toBeUndefined();
      expect(request.headers['cookie']).toBeUndefined();
      // The BFF propagates the locale; the orders source removes it.
      expect(request.headers['x-locale']).toBeUndefined();
      expect(request.headers['x-feature-dark-mode']).toBe('on');
    }
    for (const request of products) {
      // products names `cookie`, not `authorization`.
      expect(request.headers['cookie']).toBe('session=s3cr3t');
      expect(request.headers['authorization']).toBeUndefined();
      expect(request.headers['x-locale']).toBe('de-CH');
    }
    for (const request of inventory) {
      // `matching: '.*'` takes any plain header, but never a credential.
      expect(request.headers['x-unlisted']).toBe('never');
      expect(request.headers['authorization']).toBeUndefined();
      expect(request.headers['cookie']).toBeUndefined();
    }
    for (const request of [...users, ...orders, ...products]) {
      expect(request.headers['x-unlisted']).toBeUndefined();
      // The identity the gateway verified is still the gateway's, whatever the rules forward.
      expect(request.headers['x-portico-subject']).toBe('u1');
    }
  });

  it('sends the default when the client sent nothing, and never a hop-by-hop header, even one the Connection header names', async () => {
    const status = await rawPost(url(), CATALOGUE_AND_STOCK.replace('stock { available }', ''), {
      connection: 'keep-alive, x-feature-hop',
      'x-feature-hop': 'hop',
      'x-feature-kept': 'kept',
      te: 'trailers',
      'keep-alive': 'timeout=5',
      upgrade: 'h2c',
    });
    expect(status).toBe(200);
    const { products } = await scenario.received();
    expect(products.length).toBeGreaterThan(0);
    for (const request of products) {
      expect(request.headers['x-locale']).toBe('en');
      expect(request.headers['x-feature-kept']).toBe('kept');
      expect(request.headers['x-feature-hop']).toBeUndefined();
      expect(request.headers['te']).toBeUndefined();
      expect(request.headers['upgrade']).toBeUndefined();
      expect(request.headers['keep-alive']).toBeUndefined();
    }
  });

  it('passes source headers back by allow-list only (renamed, values appended), never set-cookie without a rule', async () => {
    await scenario.subgraphs.products.setResponseHeaders({ 'x-catalogue-version': '7', 'x-shared-region': 'eu', 'set-cookie': 'tracker=1', 'x-internal-host': 'products-3' });
    await scenario.subgraphs.inventory.setResponseHeaders({ 'x-shared-region': 'us', 'x-catalogue-version': 'inventory-must-not-win' });
    const token = await scenario.token('u1');
    const response = await gql(url(), CATALOGUE_AND_STOCK, undefined, { authorization: `Bearer ${token}` });
    expect(response.body.errors).toBeUndefined();
    // products' rule renames it; inventory has no rule for it, so its value is not passed back.
    expect(response.headers.get('x-catalog-version')).toBe('7');
    expect(response.headers.get('x-catalogue-version')).toBeNull();
    // The BFF's pattern passes x-shared-* back from every source: both values, in answer order.
    expect(response.headers.get('x-shared-region')).toBe('eu, us');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('x-internal-host')).toBeNull();
  });

  it('merges Cache-Control strictest-wins: the smallest max-age, private for a signed-in caller, no-store when any part says so or says nothing', async () => {
    await scenario.subgraphs.products.setResponseHeaders({ 'cache-control': 'public, max-age=60, s-maxage=120' });
    await scenario.subgraphs.inventory.setResponseHeaders({ 'cache-control': 'public, max-age=30' });
    const anonymous = await gql(url(), CATALOGUE);
    expect(anonymous.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=120');
    // The same answer fetched with a cookie the products rule forwards: personalised, so private.
    const withCookie = await gql(url(), CATALOGUE, undefined, { cookie: 'session=s3cr3t' });
    expect(withCookie.headers.get('cache-control')).toBe('private, max-age=60');

    const token = await scenario.token('u1');
    const both = await gql(url(), CATALOGUE_AND_STOCK, undefined, { authorization: `Bearer ${token}` });
    expect(both.body.errors).toBeUndefined();
    // A signed-in caller's answer is never for shared caches: private, and s-maxage goes.
    expect(both.headers.get('cache-control')).toBe('private, max-age=30');

    await scenario.subgraphs.inventory.setResponseHeaders({ 'cache-control': 'no-store' });
    const noStore = await gql(url(), CATALOGUE_AND_STOCK, undefined, { authorization: `Bearer ${token}` });
    expect(noStore.headers.get('cache-control')).toBe('no-store');

    // users sends no Cache-Control: by default (`whenAbsent: 'no-store'`) that makes the answer uncacheable.
    const withUsers = await gql(url(), '{ user(id: "u1") { name } product(id: "p1") { name } }', undefined, { authorization: `Bearer ${token}` });
    expect(withUsers.body.errors).toBeUndefined();
    expect(withUsers.headers.get('cache-control')).toBe('no-store');
  });
});

/** A POST over node:http, which (unlike fetch) may send Connection, TE, Keep-Alive and Upgrade. */
function rawPost(url: string, query: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query });
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', reject);
    request.end(body);
  });
}

describe('header rules with the response cache on', () => {
  const url = () => scenario.portico.bff('cached').url;
  const productCalls = async () => (await scenario.subgraphs.products.stats()).requests;

  it("merges the response cache's own Cache-Control strictest-wins with the sources'", async () => {
    // @cacheControl(maxAge: 60) in schemas/products.graphql; the source itself allows 10 s.
    await scenario.subgraphs.products.setResponseHeaders({ 'cache-control': 'public, max-age=10' });
    const response = await gql(url(), '{ product(id: "p2") { name } }', undefined, { 'accept-language': 'it' });
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get('cache-control')).toBe('public, max-age=10');
  });

  it('shares a cached answer only between requests that sent the same forwarded header values', async () => {
    await scenario.subgraphs.products.setResponseHeaders({ 'cache-control': 'public, max-age=60' });
    const query = '{ product(id: "p3") { name } }';
    await gql(url(), query, undefined, { 'accept-language': 'de' });
    expect(await productCalls()).toBe(1);
    await gql(url(), query, undefined, { 'accept-language': 'de' });
    expect(await productCalls()).toBe(1);
    // Another language, another cookie: the source may answer differently, so no shared entry.
    await gql(url(), query, undefined, { 'accept-language': 'fr' });
    expect(await productCalls()).toBe(2);
    await gql(url(), query, undefined, { 'accept-language': 'de', cookie: 'session=alice' });
    expect(await productCalls()).toBe(3);
    const bob = await gql(url(), query, undefined, { 'accept-language': 'de', cookie: 'session=bob' });
    expect(await productCalls()).toBe(4);
    // An answer fetched with a forwarded cookie is never for a shared cache downstream.
    expect(bob.headers.get('cache-control')).toBe('private, max-age=60');
  });
});
