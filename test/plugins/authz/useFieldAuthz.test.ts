import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

// The demo's own policy (schemas/*.graphql, bffs/*/resolvers.ts) on the demo's own BFFs: web
// refuses a request touching a denied field (authz.onDenied 'reject', the default), mobile
// answers those fields null (authz.onDenied 'null'). Real tokens from the demo IdP.

let idp: Idp;
let subgraphs: SubgraphSet;
let portico: TestPortico;
let web: string;
let mobile: string;

beforeAll(async () => {
  [idp, subgraphs] = await Promise.all([startIdp(), startAllSubgraphs()]);
  portico = await startTestPortico(subgraphs, { env: { IDP_URL: idp.url } });
  web = portico.bff('web').url;
  mobile = portico.bff('mobile').url;
});
afterAll(async () => {
  await portico?.close(0);
  await Promise.all([idp?.stop(), subgraphs?.[Symbol.asyncDispose]()]);
});
beforeEach(() => Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.reset())));

const as = async (scopes: string[], roles: string[] = []) => ({ authorization: `Bearer ${await idp.issue({ sub: 'u1', scopes, roles })}` });
const counts = async () => {
  const [users, orders, products, inventory] = await Promise.all(
    [subgraphs.users, subgraphs.orders, subgraphs.products, subgraphs.inventory].map(async (s) => (await s.stats()).requests),
  );
  return { users, orders, products, inventory };
};
const NONE = { users: 0, orders: 0, products: 0, inventory: 0 };

describe('refusing the request (web: onDenied reject)', () => {
  it('refuses a personal field to a caller without its scope before any subgraph is called, 403 FORBIDDEN with the path', async () => {
    const response = await gql(web, '{ user(id: "u1") { name email } }', undefined, await as(['orders:read']));
    expect(response.status).toBe(403);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', denied: [{ field: 'User.email', path: ['user', 'email'] }] });
    expect(await counts()).toEqual(NONE);
  });

  it('refuses an anonymous caller with 401 UNAUTHENTICATED and a WWW-Authenticate challenge', async () => {
    // A user's id and name are a public profile; the plan is not, and neither are orders.
    const response = await gql(web, '{ products { items { name } } user(id: "u1") { name plan orders(first: 1) { id } } }');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="web"');
    expect(response.body.errors![0]!.extensions).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'credentials_required',
      // Only the outermost denied fields: nothing under them needs listing.
      denied: [
        { field: 'User.plan', path: ['user', 'plan'] },
        { field: 'User.orders', path: ['user', 'orders'] },
      ],
    });
    expect(await counts()).toEqual(NONE);
  });

  it('refuses a field of a merged type that another source serves (User.orders from orders on a user from users)', async () => {
    const response = await gql(web, '{ user(id: "u1") { name orders(first: 1) { id } } }', undefined, await as(['users:pii']));
    expect(response.status).toBe(403);
    expect(response.body.errors![0]!.extensions!['denied']).toEqual([{ field: 'User.orders', path: ['user', 'orders'] }]);
    expect(await counts()).toEqual(NONE);
  });

  it('refuses a field from another source under a public type (Product.stock from inventory on a product)', async () => {
    const response = await gql(web, '{ product(id: "p1") { name stock { available } } }', undefined, await as(['users:pii']));
    expect(response.status).toBe(403);
    expect(response.body.errors![0]!.extensions!['denied']).toEqual([{ field: 'Product.stock', path: ['product', 'stock'] }]);
    expect(await counts()).toEqual(NONE);
  });

  it('lists every path a denied field is reached by, through fragments and aliases', async () => {
    const query = `
      { me: user(id: "u1") { ...Contact } other: user(id: "u2") { name ...Contact } }
      fragment Contact on User { mail: email phone }
    `;
    const response = await gql(web, query, undefined, await as(['orders:read']));
    expect(response.status).toBe(403);
    expect(response.body.errors![0]!.extensions!['denied']).toEqual([
      { field: 'User.email', path: ['me', 'mail'] },
      { field: 'User.phone', path: ['me', 'phone'] },
      { field: 'User.email', path: ['other', 'mail'] },
      { field: 'User.phone', path: ['other', 'phone'] },
    ]);
    expect(await counts()).toEqual(NONE);
  });

  it('serves the same query to a caller holding the scopes, one alternative of @requiresScopes being enough', async () => {
    const query = '{ user(id: "u1") { email orders(first: 1) { items { product { name stock { available } } } } } }';
    const response = await gql(web, query, undefined, await as(['users:pii', 'orders:read']));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.user.email).toMatch(/@/);
    expect(response.body.data!.user.orders[0].items[0].product.stock.available).toBeTypeOf('number');
  });

  it('decides per caller: a refusal is never reused for the next caller of the same document', async () => {
    const query = '{ users(first: 1) { name } }';
    expect((await gql(web, query, undefined, await as(['users:pii']))).status).toBe(403);
    expect((await gql(web, query, undefined, await as([], ['admin']))).status).toBe(200);
    expect((await gql(web, query, undefined, await as(['users:pii']))).status).toBe(403);
  });

  it('checks roles: the user list is for admins', async () => {
    const refused = await gql(web, '{ users(first: 1) { name } }', undefined, await as(['users:pii']));
    expect(refused.status).toBe(403);
    expect(await counts()).toEqual(NONE);
    const served = await gql(web, '{ users(first: 1) { name } }', undefined, await as([], ['admin']));
    expect(served.status).toBe(200);
    expect(served.body.data!.users).toHaveLength(1);
  });

  it('refuses a mutation without its write scope, so the order stays as it was', async () => {
    const headers = await as(['orders:read']);
    const refused = await gql(web, 'mutation { cancelOrder(id: "o1") { id status } }', undefined, headers);
    expect(refused.status).toBe(403);
    expect(refused.body.errors![0]!.extensions!['denied']).toEqual([{ field: 'Mutation.cancelOrder', path: ['cancelOrder'] }]);
    expect((await subgraphs.orders.stats()).requests).toBe(0);
    const order = await gql(web, '{ order(id: "o1") { status } }', undefined, headers);
    expect(order.body.data!.order.status).not.toBe('CANCELLED');
  });

  it('lets anyone browse the public catalogue and read a public profile', async () => {
    const response = await gql(web, '{ products(pageSize: 2) { total items { id name priceCents } } user(id: "u1") { id name } }');
    expect(response.status).toBe(200);
    expect(response.body.data!.products.items).toHaveLength(2);
    expect(response.body.data!.user).toEqual({ id: 'u1', name: expect.any(String) });
  });
});

describe('nulling the denied fields (mobile: onDenied null)', () => {
  it('answers a field from another source null with an error at its path, never calling that source, and keeps the rest', async () => {
    const response = await gql(mobile, '{ product(id: "p1") { title stock { available } } }', undefined, await as(['users:pii']));
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ product: { title: expect.any(String), stock: null } });
    expect(response.body.errors).toEqual([
      expect.objectContaining({ path: ['product', 'stock'], extensions: { code: 'FORBIDDEN', field: 'Product.stock' } }),
    ]);
    expect(await counts()).toEqual({ ...NONE, products: 1 });
  });

  it('gives anonymous callers UNAUTHENTICATED at each path, list indices included', async () => {
    const response = await gql(mobile, '{ products(pageSize: 2) { items { id title stock { available } } } }');
    expect(response.status).toBe(200);
    const items = response.body.data!.products.items as { stock: unknown; title: string }[];
    expect(items.map((item) => item.stock)).toEqual([null, null]);
    expect(items.every((item) => typeof item.title === 'string')).toBe(true);
    expect(response.body.errors!.map((error) => [error.path, error.extensions!['code']])).toEqual([
      [['products', 'items', 0, 'stock'], 'UNAUTHENTICATED'],
      [['products', 'items', 1, 'stock'], 'UNAUTHENTICATED'],
    ]);
    expect((await subgraphs.inventory.stats()).requests).toBe(0);
  });

  it('cuts a merged-type field from the query its source would have received; a denied non-null field nulls its parent', async () => {
    const response = await gql(
      mobile,
      '{ user(id: "u1") { name orders(first: 1) { id } } products(pageSize: 1) { items { title } } }',
      undefined,
      await as(['users:pii']),
    );
    expect(response.status).toBe(200);
    // User.orders is [Order!]!: its null propagates to user, as any null there would.
    expect(response.body.data).toEqual({ user: null, products: { items: [{ title: expect.any(String) }] } });
    expect(response.body.errors).toEqual([expect.objectContaining({ path: ['user', 'orders'], extensions: { code: 'FORBIDDEN', field: 'User.orders' } })]);
    expect((await subgraphs.orders.stats()).requests).toBe(0);
    // The user is certain to come back null (its non-null orders are denied), so it is not
    // fetched at all: neither source is asked for anything about it (issue 18, item 8).
    expect(await subgraphs.users.requests()).toEqual([]);
    expect((await subgraphs.products.stats()).requests).toBe(1);
  });

  it('serves every field to a caller allowed to read them all', async () => {
    const response = await gql(mobile, '{ product(id: "p1") { title stock { available } card { inStock } } }', undefined, await as(['orders:read']));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.product.stock.available).toBeTypeOf('number');
  });
});
