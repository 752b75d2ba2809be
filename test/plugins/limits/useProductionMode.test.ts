import { makeExecutableSchema } from '@graphql-tools/schema';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bffSchema } from '../../../src/config/schema.js';
import { useProductionMode } from '../../../src/plugins/limits/useProductionMode.js';
import { useErrorMasking } from '../../../src/plugins/response/useErrorMasking.js';
import { startBffServer } from '../../../src/server/createBffServer.js';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';

// partner runs with `production: true` (bffs/partner/bff.config.ts); web does not.
let portico: TestPortico;

beforeAll(async () => {
  portico = await startTestPortico({});
});
afterAll(() => portico?.close(0));

describe('production mode (the partner BFF)', () => {
  it('refuses introspection at validation, before anything runs', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Order") { fields { name } } }']) {
      const response = await gql(portico.bff('partner').url, query);
      expect(response.status).toBe(400);
      expect(response.body.errors![0]!.extensions!['code']).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.body.data).toBeUndefined();
    }
    // __typename is not introspection of the schema: clients rely on it.
    expect((await gql(portico.bff('partner').url, '{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('gives no "Did you mean" suggestions that would reveal field names, where web does', async () => {
    const query = '{ orderz(first: 1) { id } }';
    const partner = await gql(portico.bff('partner').url, query);
    expect(partner.status).toBe(400);
    expect(partner.body.errors![0]!.message).toBe('Cannot query field "orderz" on type "Query".');
    const web = await gql(portico.bff('web').url, query);
    expect(web.body.errors![0]!.message).toMatch(/Did you mean "order"/);
  });

  it('serves no GraphiQL page to a browser, where web does', async () => {
    const page = (url: string) => fetch(url, { headers: { accept: 'text/html' } });
    const partner = await page(portico.bff('partner').url);
    expect(partner.headers.get('content-type') ?? '').not.toContain('text/html');
    await partner.body?.cancel();
    const web = await page(portico.bff('web').url);
    expect(web.headers.get('content-type')).toContain('text/html');
    await web.body?.cancel();
  });
});

describe('production mode on variables', () => {
  it('strips the enum values graphql-js suggests when a variable has an invalid value', async () => {
    const schema = makeExecutableSchema({
      typeDefs: 'enum Status { PAID SHIPPED } type Query { count(status: Status): Int }',
      resolvers: { Query: { count: () => 1 } },
    });
    const bff = { ...bffSchema.parse({ name: 'prod', port: 0, sources: ['none'], production: true }), file: 'test' };
    const server = await startBffServer({ bff, schema, plugins: [useProductionMode(), useErrorMasking()], logger: pino({ level: 'silent' }) });
    try {
      const response = await gql(server.url, 'query ($s: Status) { count(status: $s) }', { s: 'PAI' });
      expect(response.status).toBe(400);
      expect(response.body.errors![0]!.message).toBe('Variable "$s" got invalid value "PAI"; Value "PAI" does not exist in "Status" enum.');
      expect(response.body.errors![0]!.extensions!['code']).toBe('BAD_USER_INPUT');
    } finally {
      await server.close(0);
    }
  });
});
