import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gql, repoRoot, startTestPortico, type TestPortico } from '../../support/portico.js';
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

// ── ownership (@owner), issue 18 item 8: the demo's rules in schemas/users.graphql,
// schemas/orders.graphql and bffs/web/resolvers.ts; docs/authorization.md, "Ownership" ─────────

const ALL_SCOPES = ['users:pii', 'orders:read', 'orders:write', 'inventory:read'];
const bearer = async (sub: string, roles: string[] = [], scopes = ALL_SCOPES) => ({
  authorization: `Bearer ${await idp.issue({ sub, scopes, roles })}`,
});
const u1 = () => bearer('u1');
const admin = () => bearer('ops-1', ['admin']);

const DASHBOARD = (userId: string) => `{ dashboard(userId: "${userId}") { user { name email } recentOrders { id user { id } } featuredProducts { items { name } } } }`;

describe('ownership on web (onDenied reject): another user is refused before any source is called', () => {
  it('refuses u2’s personal fields and orders to u1 with 403 FORBIDDEN, each path listed, 0 source calls', async () => {
    const response = await gql(web, '{ user(id: "u2") { name email orders(first: 2) { id total } } }', undefined, await u1());
    expect(response.status).toBe(403);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0]!.extensions).toEqual({
      code: 'FORBIDDEN',
      denied: [
        { field: 'User.email', path: ['user', 'email'], reason: 'not_owner' },
        { field: 'User.orders', path: ['user', 'orders'], reason: 'not_owner' },
      ],
    });
    expect(await counts()).toEqual(NONE);
  });

  it('refuses u2’s dashboard to u1, 0 source calls', async () => {
    const response = await gql(web, DASHBOARD('u2'), undefined, await u1());
    expect(response.status).toBe(403);
    expect(response.body.errors![0]!.extensions).toEqual({
      code: 'FORBIDDEN',
      denied: [{ field: 'Query.dashboard', path: ['dashboard'], reason: 'not_owner' }],
    });
    expect(await counts()).toEqual(NONE);
  });

  it('decides on the variables’ values too, and on every id of a list argument', async () => {
    const byVariable = await gql(web, 'query Profile($id: ID!) { user(id: $id) { email } }', { id: 'u2' }, await u1());
    expect(byVariable.status).toBe(403);
    expect(byVariable.body.errors![0]!.extensions!['denied']).toEqual([{ field: 'User.email', path: ['user', 'email'], reason: 'not_owner' }]);
    const mixed = await gql(web, '{ usersByIds(ids: ["u1", "u2"]) { name phone } }', undefined, await u1());
    expect(mixed.status).toBe(403);
    expect(await counts()).toEqual(NONE);
    // The same document with the caller's own id is served: the decision is per request.
    const own = await gql(web, 'query Profile($id: ID!) { user(id: $id) { email } }', { id: 'u1' }, await u1());
    expect(own.status).toBe(200);
    expect(own.body.data!.user.email).toMatch(/@/);
  });

  it('refuses an order reached where no argument names its owner (the user list is for admins and owner-blind)', async () => {
    // A token with the admin role but no admin bypass of its own would still pass @auth; here a
    // plain user is refused both the list and, through it, anybody's orders.
    const response = await gql(web, '{ users(first: 2) { name orders(first: 1) { id } } }', undefined, await u1());
    expect(response.status).toBe(403);
    expect(await counts()).toEqual(NONE);
  });

  it('keeps the public profile public: u1 reads u2’s id and name, anonymous callers too', async () => {
    for (const headers of [await u1(), {}]) {
      const response = await gql(web, '{ user(id: "u2") { id name } }', undefined, headers);
      expect(response.status).toBe(200);
      expect(response.body.data!.user).toEqual({ id: 'u2', name: expect.any(String) });
    }
  });

  it('answers an anonymous caller 401, not 403: credentials come first', async () => {
    const response = await gql(web, '{ user(id: "u2") { email } }');
    expect(response.status).toBe(401);
    expect(response.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'credentials_required' });
  });
});

describe('ownership on web: a user’s own data', () => {
  it('serves u1’s personal fields, orders and dashboard to u1', async () => {
    const profile = await gql(web, '{ user(id: "u1") { email orders(first: 3) { id user { id } } } }', undefined, await u1());
    expect(profile.status).toBe(200);
    expect(profile.body.errors).toBeUndefined();
    expect(profile.body.data!.user.email).toMatch(/@/);
    expect(profile.body.data!.user.orders.map((order: { user: { id: string } }) => order.user.id)).toEqual(['u1', 'u1', 'u1']);

    const dashboard = await gql(web, DASHBOARD('u1'), undefined, await u1());
    expect(dashboard.status).toBe(200);
    expect(dashboard.body.errors).toBeUndefined();
    expect(dashboard.body.data!.dashboard.user.email).toMatch(/@/);
    expect(dashboard.body.data!.dashboard.recentOrders.length).toBeGreaterThan(0);
    expect(new Set(dashboard.body.data!.dashboard.recentOrders.map((order: { user: { id: string } }) => order.user.id))).toEqual(new Set(['u1']));
  });

  it('lists only the caller’s own orders when the query names no user: the gateway fills userId in', async () => {
    const response = await gql(web, '{ orders(first: 50) { id user { id } } }', undefined, await u1());
    expect(response.status).toBe(200);
    const owners = new Set(response.body.data!.orders.map((order: { user: { id: string } }) => order.user.id));
    expect(owners).toEqual(new Set(['u1']));
    // The orders service itself was asked for one user's orders, through a variable the gateway set.
    const [call] = await subgraphs.orders.requests();
    expect(JSON.stringify(call!.body)).toContain('userId: $porticoOwner_sub');
  });

  it('answers another user’s order by id null, and cancels only the caller’s own', async () => {
    // Seed data: order ok belongs to user ((k - 1) mod 20) + 1, so o1 is u1's and o2 is u2's.
    const read = await gql(web, '{ mine: order(id: "o1") { id } theirs: order(id: "o2") { id } }', undefined, await u1());
    expect(read.body).toEqual({ data: { mine: { id: 'o1' }, theirs: null } });
    const cancel = await gql(web, 'mutation { cancelOrder(id: "o2") { id status } }', undefined, await u1());
    expect(cancel.body).toEqual({ data: { cancelOrder: null } });
    const after = await gql(web, '{ order(id: "o2") { status } }', undefined, await admin());
    expect(after.body.data!.order.status).not.toBe('CANCELLED');
  });

  it('refuses an owner argument naming someone else even where the gateway would fill it', async () => {
    const response = await gql(web, '{ orders(first: 5, userId: "u2") { id } }', undefined, await u1());
    expect(response.status).toBe(403);
    expect(response.body.errors![0]!.extensions!['denied']).toEqual([{ field: 'Query.orders', path: ['orders'], reason: 'not_owner' }]);
    expect(await counts()).toEqual(NONE);
  });
});

describe('ownership on web: an admin bypasses it', () => {
  it('serves u2’s personal fields, orders and dashboard, and every user’s orders, to a token with the admin role', async () => {
    const headers = await admin();
    const profile = await gql(web, '{ user(id: "u2") { email orders(first: 1) { id } } }', undefined, headers);
    expect(profile.status).toBe(200);
    expect(profile.body.data!.user.email).toMatch(/@/);
    const dashboard = await gql(web, DASHBOARD('u2'), undefined, headers);
    expect(dashboard.status).toBe(200);
    expect(dashboard.body.errors).toBeUndefined();
    const orders = await gql(web, '{ orders(first: 3) { user { id } } }', undefined, headers);
    expect(orders.body.data!.orders.map((order: { user: { id: string } }) => order.user.id)).toEqual(['u1', 'u2', 'u3']);
  });
});

describe('the demo IdP mints admin tokens', () => {
  it('`npm run token -- --admin` gives a token whose admin role bypasses ownership on web', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'scripts/token.ts'), '--sub', 'ops-2', '--admin', '--scopes', 'users:pii,orders:read', '--idp', idp.url],
      { cwd: repoRoot },
    );
    const token = stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { roles?: string[] };
    expect(claims.roles).toEqual(['admin']);
    const response = await gql(web, '{ user(id: "u2") { email } }', undefined, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.body.data!.user.email).toMatch(/@/);
  });
});

describe('ownership on mobile (onDenied null): another user’s fields are null with errors at their paths', () => {
  it('nulls u2’s personal fields and orders for u1, FORBIDDEN at each path, 0 source calls', async () => {
    const response = await gql(mobile, '{ user(id: "u2") { plan orders(first: 2) { id } } }', undefined, await u1());
    expect(response.status).toBe(200);
    // plan and orders are non-null: their nulls null the user, as GraphQL propagates any null.
    expect(response.body.data).toEqual({ user: null });
    expect(response.body.errors!.map((error) => [error.path, error.extensions])).toEqual([
      [['user', 'plan'], { code: 'FORBIDDEN', field: 'User.plan', reason: 'not_owner' }],
      [['user', 'orders'], { code: 'FORBIDDEN', field: 'User.orders', reason: 'not_owner' }],
    ]);
    expect(await counts()).toEqual(NONE);
  });

  it('serves the caller’s own user next to another’s nulled one, asking the source for the own one only', async () => {
    const response = await gql(mobile, '{ me: user(id: "u1") { name plan } other: user(id: "u2") { name plan } }', undefined, await u1());
    expect(response.status).toBe(200);
    // Every personal field of a mobile user is non-null, so the denied plan nulls the whole user.
    expect(response.body.data).toEqual({ me: { name: expect.any(String), plan: expect.any(String) }, other: null });
    expect(response.body.errors!.map((error) => [error.path, error.extensions])).toEqual([
      [['other', 'plan'], { code: 'FORBIDDEN', field: 'User.plan', reason: 'not_owner' }],
    ]);
    const calls = await subgraphs.users.requests();
    expect(calls).toHaveLength(1);
    expect(JSON.stringify(calls[0]!.body)).not.toContain('u2');
  });

  it('serves u1’s own data to u1 and u2’s to an admin', async () => {
    const own = await gql(mobile, '{ user(id: "u1") { plan orders(first: 1) { placedAt } } }', undefined, await u1());
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data!.user.orders).toHaveLength(1);
    const theirs = await gql(mobile, '{ user(id: "u2") { plan orders(first: 1) { placedAt } } }', undefined, await admin());
    expect(theirs.body.errors).toBeUndefined();
    expect(theirs.body.data!.user.orders).toHaveLength(1);
  });
});
