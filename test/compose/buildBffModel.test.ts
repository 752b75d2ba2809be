import { describe, expect, it } from 'vitest';
import { buildSchema, parse, print } from 'graphql';
import { buildBffModel, singleKeyField } from '../../src/compose/buildBffModel.js';
import { createUnrename } from '../../src/compose/unrenameDocument.js';
import { composeSupergraph } from '../../src/sources/federation/composeSupergraph.js';
import { readSupergraphModel } from '../../src/sources/federation/planner/supergraphModel.js';

const users = buildSchema('type User { id: ID! name: String! } type Query { user(id: ID!): User usersByIds(ids: [ID!]!): [User]! }');
const products = buildSchema('type Product { id: ID! name: String! } type Query { _productsByIds(ids: [ID!]!): [Product]! }');
const orders = readSupergraphModel(
  parse(
    composeSupergraph([
      {
        name: 'orders',
        url: 'http://orders',
        sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
          type Order @key(fields: "id") { id: ID! createdAt: String! user: User! product: Product! }
          type User @key(fields: "id") { id: ID! orders: [Order!]! }
          type Product @key(fields: "id", resolvable: false) { id: ID! }
          type Query { orders: [Order!]! }`,
      },
    ]),
  ),
);

describe('the BFF as one virtual supergraph', () => {
  const model = buildBffModel(
    [
      { kind: 'source', graph: 'users', schema: users, lookups: new Map([['User', { keyField: 'id', field: 'usersByIds', argument: 'ids' }]]) },
      { kind: 'federation', source: 'orders', model: orders },
      { kind: 'source', graph: 'products', schema: products, lookups: new Map([['Product', { keyField: 'id', field: '_productsByIds', argument: 'ids' }]]) },
    ],
    { 'Product.name': 'title', 'Order.createdAt': 'placedAt' },
  );

  it('makes a merged type an entity of every source with a lookup, keyed by the lookup key', () => {
    const user = model.types.get('User')!;
    expect([...user.keys.keys()].sort()).toEqual(['ORDERS', 'source:users']);
    expect(print(user.keys.get('source:users')![0]!)).toBe('{\n  id\n}');
    expect([...user.fields.get('name')!.resolvableIn]).toEqual(['source:users']);
    expect([...user.fields.get('orders')!.resolvableIn]).toEqual(['ORDERS']);
    expect([...user.fields.get('id')!.resolvableIn].sort()).toEqual(['ORDERS', 'source:users']);
    // orders only references products: no key there, so no `_entities` fetch is ever sent to it.
    expect([...model.types.get('Product')!.keys.keys()]).toEqual(['source:products']);
  });

  it('carries the BFF names of renamed fields, in every source, and names federation executors source/subgraph', () => {
    expect(model.types.get('Product')!.fields.has('title')).toBe(true);
    expect(model.types.get('Product')!.fields.has('name')).toBe(false);
    expect(model.types.get('Order')!.fields.has('placedAt')).toBe(true);
    expect(model.graphs.get('ORDERS')!.name).toBe('orders/orders');
    expect(model.graphs.get('source:products')!.name).toBe('products');
  });

  it('sends renamed fields under their source names, aliased to the BFF names', () => {
    const unrename = createUnrename(model, new Map([['Product.title', 'name'], ['Order.placedAt', 'createdAt']]));
    const document = parse('query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { title t: title } } }');
    expect(print(unrename(document))).toContain('... on Product {\n      title: name\n      t: name\n    }');
    expect(print(unrename(parse('{ orders { placedAt product { id } } }')))).toContain('placedAt: createdAt');
    expect(unrename(document)).toBe(unrename(document));
  });

  it('marks a field whose type differs between sources as unplannable', () => {
    const other = buildSchema('type User { id: ID! name: Int } type Query { me: User }');
    const conflicting = buildBffModel(
      [
        { kind: 'source', graph: 'users', schema: users, lookups: new Map() },
        { kind: 'source', graph: 'other', schema: other, lookups: new Map() },
      ],
      {},
    );
    expect(conflicting.types.get('User')!.fields.get('name')!.unplannable).toMatch(/different types/);
  });

  it('reads a merge selectionSet of one key field, and nothing else', () => {
    expect(singleKeyField('{ id }')).toBe('id');
    expect(singleKeyField('{ id sku }')).toBeUndefined();
    expect(singleKeyField('{ org { id } }')).toBeUndefined();
  });
});
