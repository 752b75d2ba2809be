import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { gql } from '../../support/portico.js';
import { writeConfigDir } from '../../support/configDir.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { pino } from 'pino';

// A BFF whose only source is the demo orders federation runs by query plans
// (docs/query-planner.md): the policies around execution must act exactly as with stitching.
const SECRET = 'planned-bff-test-secret-0123456789abcdef';
const ISSUER = 'planned-bff-test';

let orders: SubgraphHandle;
let portico: Portico;
let url: string;

const token = (scope: string, subject = 'u1') =>
  new SignJWT({ scope, tenant: 't1' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('app')
    .setSubject(subject)
    .setJti(randomUUID())
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));
const bearer = async (scope: string, subject?: string) => ({ authorization: `Bearer ${await token(scope, subject)}` });

/** The GraphQL requests orders received since the last reset, as `{ operationName, query }`. */
const receivedBodies = async () =>
  (await orders.requests()).filter((request) => request.route.includes('graphql')).map((request) => request.body as { operationName?: string; query: string });

beforeAll(async () => {
  orders = await startSubgraph('orders');
  const files = await writeConfigDir({
    name: 'planned',
    bff: {
      name: 'app',
      port: 0,
      sources: ['orders'],
      auth: { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: ISSUER, audience: 'app' } },
      authz: { onDenied: 'null' },
    },
  });
  portico = await startPortico(await loadConfig(files.rootFile, { ORDERS_URL: orders.url }), { logger: pino({ level: 'silent' }) });
  url = portico.bffs[0]!.url;
});
afterAll(async () => {
  await portico?.close(0);
  await orders?.release();
});
beforeEach(async () => {
  await orders.reset();
});

describe('a BFF over one supergraph, executed by query plans', () => {
  it('answers from the plan: one request to the subgraph, named after the client operation', async () => {
    // orders' userId is an @owner(fill: true) argument (schemas/orders.graphql): left out, it is
    // the caller's own, so u1 gets u1's orders (o1, o21), never o2 (u2's), and the plan carries it.
    const response = await gql(url, 'query Latest { orders(first: 2) { id status user { id } } }', undefined, await bearer('orders:read'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: {
        orders: [
          { id: 'o1', status: 'PENDING', user: { id: 'u1' } },
          { id: 'o21', status: 'PENDING', user: { id: 'u1' } },
        ],
      },
    });
    // Stitching names its subgraph operations differently; this name is the plan's fetch.
    expect((await receivedBodies()).map((body) => body.operationName)).toEqual(['Latest__orders__0']);
  });

  it('sends the verified identity on planned fetches and none of the client identity headers', async () => {
    await gql(url, '{ orders(first: 1) { id } }', undefined, { ...(await bearer('orders:read', 'u7')), 'x-user-id': 'u1', 'x-portico-subject': 'u1' });
    const [request] = await orders.requests();
    expect(request?.headers['x-portico-subject']).toBe('u7');
    expect(request?.headers['x-user-id']).toBeUndefined();
  });

  it('cuts a field the caller may not read before planning: null with FORBIDDEN at its path, never sent', async () => {
    // 'null' mode: the denied field is pruned from the document the plan is made from.
    const response = await gql(url, '{ order(id: "o1") { id } }', undefined, await bearer('profile'));
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ order: null });
    expect(response.body.errors).toEqual([expect.objectContaining({ path: ['order'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    expect(await receivedBodies()).toEqual([]);
  });

  it('reports a subgraph that is down at the field it was to fill, and answers again once it is back', async () => {
    await orders.setFaults({ down: true });
    const failed = await gql(url, '{ orders(first: 1) { id } }', undefined, await bearer('orders:read'));
    expect(failed.body.data).toBeNull();
    expect(failed.body.errors).toEqual([expect.objectContaining({ path: ['orders'], extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE' }) })]);
    expect(JSON.stringify(failed.body)).not.toContain('127.0.0.1');
    await orders.setFaults({ down: false });
    const recovered = await gql(url, '{ orders(first: 1) { id } }', undefined, await bearer('orders:read'));
    expect(recovered.body).toEqual({ data: { orders: [{ id: 'o1' }] } });
  });

  it('sends a mutation once, as a mutation, declaring only the variables its fetch uses', async () => {
    // $withStatus decides @include in the plan; the fetch needs and declares only $id and the
    // owner the gateway fills in (cancelOrder's userId, schemas/orders.graphql). o1 is u1's own.
    const response = await gql(
      url,
      'mutation Cancel($id: ID!, $withStatus: Boolean!) { cancelOrder(id: $id) { id status @include(if: $withStatus) } }',
      { id: 'o1', withStatus: true },
      await bearer('orders:read orders:write'),
    );
    expect(response.body).toEqual({ data: { cancelOrder: { id: 'o1', status: 'CANCELLED' } } });
    const bodies = await receivedBodies();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.query).toMatch(/^mutation Cancel__orders__0\(\$id: ID!, \$porticoOwner_sub: ID\)/);
  });

  it('refuses invalid variables with the client error before any fetch', async () => {
    const response = await gql(url, 'query One($n: Int) { orders(first: $n) { id } }', { n: 'three' }, await bearer('orders:read'));
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await receivedBodies()).toEqual([]);
  });
});
