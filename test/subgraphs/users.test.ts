import { readFileSync } from 'node:fs';
import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraph, type SubgraphHandle } from '../support/subgraphs.js';

let users: SubgraphHandle;
beforeAll(async () => {
  users = await startSubgraph('users');
});
afterAll(() => users.release());

async function query<T = any>(source: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(users.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: source, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

describe('users subgraph (GraphQL)', () => {
  it('serves exactly the SDL in schemas/users.graphql', async () => {
    const file = readFileSync(new URL('../../schemas/users.graphql', import.meta.url), 'utf8');
    const { __schema } = await query<IntrospectionQuery>(getIntrospectionQuery());
    expect(printSchema(buildClientSchema({ __schema }))).toBe(printSchema(buildSchema(file)));
  });

  it('answers usersByIds in the order the ids were asked, with null for unknown ids', async () => {
    const data = await query(`{ usersByIds(ids: ["u20", "u0", "u2", "nope", "u2"]) { id } }`);
    expect(data.usersByIds).toEqual([{ id: 'u20' }, null, { id: 'u2' }, null, { id: 'u2' }]);
  });

  it('derives each user from its index: tenant t((i-1)%3+1) and that tenant’s plan', async () => {
    const data = await query(`{ user(id: "u5") { id name email phone tenantId tenant { id name plan } plan createdAt } }`);
    expect(data.user).toEqual({
      id: 'u5',
      name: 'Barbara Liskov',
      email: 'user5@example.com',
      phone: '+1-555-0105',
      tenantId: 't2',
      tenant: { id: 't2', name: 'Globex', plan: 'PRO' },
      plan: 'PRO',
      createdAt: '2024-01-05T09:00:00.000Z',
    });
  });

  it('puts one tenant on each plan', async () => {
    const data = await query(`{ t1: tenant(id: "t1") { plan } t2: tenant(id: "t2") { plan } t3: tenant(id: "t3") { plan } t4: tenant(id: "t4") { plan } }`);
    expect(data).toEqual({ t1: { plan: 'FREE' }, t2: { plan: 'PRO' }, t3: { plan: 'ENTERPRISE' }, t4: null });
  });

  it('pages users with first and offset, 20 in all', async () => {
    const data = await query(`{ all: users { id } tail: users(first: 5, offset: 18) { id } }`);
    expect(data.all).toHaveLength(20);
    expect(data.tail).toEqual([{ id: 'u19' }, { id: 'u20' }]);
  });

  it('records the operation name and query of each GraphQL request', async () => {
    await users.reset();
    await query(`query WhoIsU1 { user(id: "u1") { id } }`);
    const [recorded] = await users.requests();
    expect(recorded).toMatchObject({
      method: 'POST',
      path: '/graphql',
      route: 'POST /graphql',
      body: { operationName: null, query: 'query WhoIsU1 { user(id: "u1") { id } }' },
    });
  });
});
