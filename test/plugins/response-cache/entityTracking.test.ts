import { buildSchema, execute, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { addEntityFields, extractEntities } from '../../../src/plugins/response-cache/entityTracking.js';

const schema = buildSchema(/* GraphQL */ `
  interface Node { id: ID! }
  type Order implements Node { id: ID! status: String! items: [Item!]! }
  type Item { quantity: Int! product: Product! }
  type Product implements Node { id: ID! name: String! }
  union Hit = Order | Product
  type Query { order(id: ID!): Order node(id: ID!): Node search: [Hit!]! }
  type Mutation { cancelOrder(id: ID!): Order }
`);

const rootValue = {
  order: () => ({ id: 'o1', status: 'PAID', items: [{ quantity: 2, product: { id: 'p1', name: 'Lamp' } }] }),
  node: () => ({ __typename: 'Product', id: 'p2', name: 'Desk' }),
  search: () => [{ __typename: 'Order', id: 'o2', status: 'PAID', items: [] }],
  cancelOrder: () => ({ id: 'o1', status: 'CANCELLED', items: [] }),
};

async function run(query: string) {
  const document = parse(query);
  const tracking = addEntityFields(schema, document, ['id']);
  const result = await execute({ schema, document: tracking.document, rootValue });
  const entities = extractEntities(result.data, tracking);
  return { result, entities, tracking };
}

describe('entity tracking', () => {
  it('finds entities the client did not select ids for, and returns exactly what the client asked', async () => {
    const { result, entities } = await run('{ order(id: "o1") { status items { quantity product { name } } } }');
    expect(result.data).toEqual({ order: { status: 'PAID', items: [{ quantity: 2, product: { name: 'Lamp' } }] } });
    expect(entities.sort()).toEqual(['Order:o1', 'Product:p1']);
  });

  it('names the concrete type behind an interface or a union', async () => {
    expect((await run('{ node(id: "p2") { id } }')).entities).toEqual(['Product:p2']);
    expect((await run('{ search { ... on Order { status } } }')).entities).toEqual(['Order:o2']);
  });

  it('finds the entities a mutation returns', async () => {
    const { result, entities } = await run('mutation { cancelOrder(id: "o1") { status } }');
    expect(result.data).toEqual({ cancelOrder: { status: 'CANCELLED' } });
    expect(entities).toEqual(['Order:o1']);
  });

  it('keeps fields the client named like the tracking aliases', async () => {
    const { result, entities, tracking } = await run('{ order(id: "o1") { __cacheId: status } }');
    expect(tracking.idAlias).not.toBe('__cacheId');
    expect(result.data).toEqual({ order: { __cacheId: 'PAID' } });
    expect(entities).toEqual(['Order:o1']);
  });

  it('leaves the root selection set and the client document untouched', () => {
    const document = parse('{ order(id: "o1") { status } }');
    const before = print(document);
    const { document: tracked } = addEntityFields(schema, document, ['id']);
    expect(print(document)).toBe(before);
    expect(print(tracked)).toContain('order(id: "o1") {\n    status\n    __cacheTypename: __typename\n    __cacheId: id\n  }');
    expect(print(tracked)).not.toMatch(/^\{\n {2}__cacheTypename/);
  });
});
