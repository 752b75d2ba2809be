import { buildClientSchema, getIntrospectionQuery, isObjectType, type GraphQLSchema } from 'graphql';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gql, repoRoot, TEST_ADMIN_TOKEN, useDemoGateway } from '../../support/portico.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { buildSourceRuntime, type SourceRuntime } from '../../../src/compose/buildSourceRuntime.js';
import { composeBffSchema } from '../../../src/compose/composeBffSchema.js';

const demo = useDemoGateway({ idp: true });
// Orders are not public (docs/authorization.md): a caller who may read them, and stock with them.
const ordersReader = () => demo.signIn({ sub: 'u1', scopes: ['orders:read'] });

/** Each BFF's schema as composed from the repository's config (partner refuses introspection). */
async function composedSchemas(): Promise<Record<string, GraphQLSchema>> {
  const config = await loadConfig(path.join(repoRoot, 'portico.config.ts'), { PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  const runtimes = new Map<string, SourceRuntime>();
  for (const [name, source] of Object.entries(config.sources)) {
    runtimes.set(name, buildSourceRuntime(source, { httpFor: () => () => Promise.reject(new Error('not called')) }));
  }
  return Object.fromEntries(config.bffs.map((bff) => [bff.name, composeBffSchema(bff, runtimes).schema]));
}

function fieldsOf(schema: GraphQLSchema, typeName: string): string[] {
  const type = schema.getType(typeName);
  return isObjectType(type) ? Object.keys(type.getFields()) : [];
}

describe('the mobile BFF', () => {
  it('has no contact details or catalogue internals in its schema', async () => {
    const { body } = await gql<{ __schema: unknown }>(demo.portico.bff('mobile').url, getIntrospectionQuery());
    const schema = buildClientSchema(body.data as never);
    expect(fieldsOf(schema, 'User')).not.toContain('email');
    expect(fieldsOf(schema, 'User')).not.toContain('phone');
    expect(fieldsOf(schema, 'Product')).not.toContain('sku');
    expect(fieldsOf(schema, 'Query')).not.toContain('users');
    // Internal merge lookups are never part of a client schema.
    expect(fieldsOf(schema, 'Query').filter((name) => name.startsWith('_'))).toEqual([]);
  });

  it('refuses a query for a hidden field as invalid, without calling any subgraph', async () => {
    await demo.subgraphs.users.reset();
    const { status, body } = await gql(demo.portico.bff('mobile').url, '{ user(id: "u1") { name email } }');
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await demo.subgraphs.users.stats()).requests).toBe(0);
  });

  it('serves renamed fields and the compact product card', async () => {
    const { body } = await gql(demo.portico.bff('mobile').url, '{ order(id: "o1") { placedAt items { product { title card { id title priceCents inStock } } } } }', undefined, await ordersReader());
    expect(body).toEqual({
      data: {
        order: {
          placedAt: '2024-02-01T08:00:00.000Z',
          items: [{ product: { title: 'Compact Planter', card: { id: 'p8', title: 'Compact Planter', priceCents: 899, inStock: true } } }],
        },
      },
    });
  });
});

describe('the partner BFF', () => {
  it('has no type that carries user personal data', async () => {
    const { partner } = await composedSchemas();
    expect(partner!.getType('User')).toBeUndefined();
    expect(partner!.getType('Tenant')).toBeUndefined();
    expect(fieldsOf(partner!, 'Order')).not.toContain('user');
    const everyField = Object.values(partner!.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .flatMap((type) => fieldsOf(partner!, type.name));
    expect(everyField).not.toContain('email');
    expect(everyField).not.toContain('phone');
  });

  it('answers orders with their products and stock', async () => {
    const { body } = await gql(demo.portico.bff('partner').url, '{ order(id: "o2") { id status items { product { id name stock { available } } } } }', undefined, await ordersReader());
    expect(body).toEqual({
      data: {
        order: {
          id: 'o2',
          status: 'PAID',
          items: [
            { product: { id: 'p15', name: 'Deluxe Kite', stock: { available: 5 } } },
            { product: { id: 'p26', name: 'Vintage Headphones', stock: { available: 7 } } },
          ],
        },
      },
    });
  });

  it('refuses introspection and does not suggest field names, as a production BFF', async () => {
    const url = demo.portico.bff('partner').url;
    const introspection = await gql(url, '{ __schema { types { name } } }');
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await gql(url, '{ order(id: "o1") { statuss } }');
    expect(typo.body.errors![0]!.message).not.toMatch(/Did you mean/);
  });
});

describe('every BFF', () => {
  it('serves GraphiQL to browsers unless in production mode', async () => {
    const page = (bff: string) => fetch(demo.portico.bff(bff).url, { headers: { accept: 'text/html' } });
    const web = await page('web');
    expect(web.status).toBe(200);
    expect(await web.text()).toMatch(/graphiql/i);
    const partner = await page('partner');
    expect(partner.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
  });

  it('answers /healthz and /readyz', async () => {
    const base = new URL(demo.portico.bff('mobile').url).origin;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });
});
