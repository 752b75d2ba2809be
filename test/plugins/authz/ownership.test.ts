import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gql, repoRoot, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

// Issue 18, item 8: object-level authorization with the demo's own @owner rules
// (schemas/users.graphql, schemas/orders.graphql, bffs/web/resolvers.ts) on the demo's own BFFs,
// real tokens from the demo IdP, calls counted at the real subgraph processes.

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

const ALL_SCOPES = ['users:pii', 'orders:read', 'orders:write', 'inventory:read'];
const bearer = async (sub: string, roles: string[] = [], scopes = ALL_SCOPES) => ({
  authorization: `Bearer ${await idp.issue({ sub, scopes, roles })}`,
});
const u1 = () => bearer('u1');
const admin = () => bearer('ops-1', ['admin']);
const counts = async () => {
  const [users, orders, products, inventory] = await Promise.all(
    [subgraphs.users, subgraphs.orders, subgraphs.products, subgraphs.inventory].map(async (s) => (await s.stats()).requests),
  );
  return { users, orders, products, inventory };
};
const NONE = { users: 0, orders: 0, products: 0, inventory: 0 };

const DASHBOARD = (userId: string) => `{ dashboard(userId: "${userId}") { user { name email } recentOrders { id user { id } } featuredProducts { items { name } } } }`;

describe('web (onDenied reject): another user is refused before any source is called', () => {
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

describe('web: a user’s own data', () => {
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

describe('web: an admin bypasses ownership', () => {
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

describe('mobile (onDenied null): another user’s fields are null with errors at their paths', () => {
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
