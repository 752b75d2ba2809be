import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.js';
import { routesSchema, type RoutesConfigInput } from '../../src/config/routesSchema.js';
import { compileRoutes } from '../../src/partner-rest/compileRoutes.js';

const schema = buildSchema(/* GraphQL */ `
  input Filter { status: String }
  type Order { id: ID! status: String! }
  type Query { order(id: ID!): Order, orders(first: Int, filter: Filter): [Order!]!, stats: Int }
  type Mutation { cancel(id: ID!): Order }
`);

let dir: string;
let bffFile: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-routes-'));
  bffFile = path.join(dir, 'bff.config.ts');
  const files: Record<string, string> = {
    'order.graphql': 'query Order($id: ID!) { order(id: $id) { id status } }',
    'orders.graphql': 'query Orders($first: Int, $filter: Filter) { orders(first: $first, filter: $filter) { id } }',
    'cancel.graphql': 'mutation Cancel($id: ID!) { cancel(id: $id) { id } }',
    'two.graphql': 'query Two { stats orders { id } }',
    'anonymous.graphql': '{ stats }',
    'invalid.graphql': 'query Bad { order(id: "1") { nope } }',
    'many.graphql': 'query A { stats } query B { stats }',
  };
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(path.join(dir, name), text)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const order = { method: 'GET', path: '/v1/orders/:id', operation: './order.graphql', summary: 's', params: { id: { in: 'path', example: 'o1' } } } as const;
const compile = (endpoints: RoutesConfigInput['endpoints']) => compileRoutes(bffFile, routesSchema.parse({ endpoints }), schema);

async function configError(endpoints: RoutesConfigInput['endpoints']): Promise<ConfigError> {
  const error = await compile(endpoints).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('compileRoutes', () => {
  it('compiles a route: its root field, parameters with types, and an operation id per version', async () => {
    const { routes } = await compile([order]);
    expect(routes[0]).toMatchObject({ rootKey: 'order', operationName: 'Order', operationType: 'query', operationId: 'OrderV1', takesBody: false });
    expect(routes[0]!.parameters).toMatchObject([{ name: 'id', in: 'path', variable: 'id', required: true }]);
  });

  it.each([
    ['an unreadable operation file', { ...order, operation: './nope.graphql' }, 'routes.endpoints[0].operation', 'cannot read'],
    ['an operation invalid for the schema', { ...order, operation: './invalid.graphql', params: {}, path: '/v1/bad' }, 'routes.endpoints[0].operation', 'Cannot query field "nope"'],
    ['an anonymous operation', { ...order, operation: './anonymous.graphql', params: {}, path: '/v1/stats' }, 'routes.endpoints[0].operation', 'needs a name'],
    ['a file of several operations without operationName', { ...order, operation: './many.graphql', params: {}, path: '/v1/stats' }, 'routes.endpoints[0].operation', 'holds 2 operations'],
    ['two root fields', { ...order, operation: './two.graphql', params: {}, path: '/v1/stats' }, 'routes.endpoints[0].operation', 'exactly one root field'],
    ['a mutation behind GET', { ...order, operation: './cancel.graphql' }, 'routes.endpoints[0].method', 'GET must be safe'],
    ['a parameter for a variable the operation lacks', { ...order, params: { id: { in: 'path', example: 'o1' }, q: { in: 'query', example: 'x' } } }, 'routes.endpoints[0].params.q', 'no variable $q'],
    ['a required variable no parameter fills', { ...order, path: '/v1/order', params: {} }, 'routes.endpoints[0].params', 'required variable $id'],
    ['a path segment without a parameter', { ...order, path: '/v1/orders/:id/:extra' }, 'routes.endpoints[0].path', ':extra is not declared'],
    ['an input object in the query string', { method: 'GET', path: '/v1/orders', operation: './orders.graphql', summary: 's', params: { filter: { in: 'query', example: {} } } }, 'routes.endpoints[0].params.filter', "use \"in: 'body'\""],
    ['an example of the wrong type', { method: 'GET', path: '/v1/orders', operation: './orders.graphql', summary: 's', params: { first: { in: 'query', example: 'ten' } } }, 'routes.endpoints[0].params.first.example', 'Int cannot represent'],
  ] as const)('refuses %s at start-up, naming the key', async (_what, route, key, problem) => {
    const error = await configError([route as never]);
    expect(error.key).toBe(key);
    expect(error.problem).toContain(problem);
    expect(error.file).toContain('bff.config.ts');
  });

  it('refuses two routes with the same method and path shape', () => {
    const parsed = routesSchema.safeParse({ endpoints: [order, { ...order, path: '/v1/orders/:orderId', params: { orderId: { in: 'path', example: 'o1' } } }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['endpoints', 1, 'path'], message: 'same method and path as endpoints[0]' });
  });

  it('refuses a parameter without an example', () => {
    const parsed = routesSchema.safeParse({ endpoints: [{ ...order, params: { id: { in: 'path' } } }] });
    expect(parsed.success).toBe(false);
  });
});
