import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { calculateCost, planCost } from '../../../src/plugins/cost/calculateCost.js';
import { collectCostDirectives } from '../../../src/plugins/cost/collectCostDirectives.js';

const SDL = /* GraphQL */ `
  directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT | SCALAR | ENUM | INTERFACE
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION

  type Query {
    user(id: ID!): User
    users(first: Int = 20, last: Int): [User!]! @listSize(slicingArguments: ["first", "last"])
    usersByIds(ids: [ID!]!): [User]! @listSize(slicingArguments: ["ids"])
    search(term: String!): [SearchResult!]! @listSize(assumedSize: 5)
    products(pageSize: Int = 10): ProductPage! @listSize(slicingArguments: ["pageSize"], sizedFields: ["items"])
    groups: [[User!]!]! @listSize(assumedSize: 3)
    tags: [String!]!
    report: Report @cost(weight: 50)
    node(id: ID!): Node
  }
  type Mutation { cancelOrder(id: ID!): Order }
  interface Node { id: ID! }
  type User implements Node {
    id: ID!
    name: String!
    orders(first: Int = 10): [Order!]! @listSize(slicingArguments: ["first"])
    manager: User
  }
  type Order implements Node { id: ID! items: [Item!]! @listSize(assumedSize: 5) total: Money! }
  type Item { quantity: Int! product: Product! }
  type Product implements Node @cost(weight: 2) { id: ID! name: String! stock: Stock @cost(weight: 3) }
  type Stock { available: Int! }
  type ProductPage { items: [Product!]! total: Int! }
  union SearchResult = User | Product
  type Report { rows: [String!]! }
  scalar Money @cost(weight: 1)
`;
const schema = buildSchema(SDL);
const directives = collectCostDirectives([{ origin: 'test', sdl: SDL }]);
const options = { defaultListSize: 10, mutationCost: 10 };
const cost = (query: string, variables?: Record<string, unknown>) =>
  calculateCost(schema, directives, parse(query), { ...options, variables });

// Each figure is worked out by hand from the rules in calculateCost.ts: object 1, scalar 0, a
// field's @cost replaces its type's weight, a list multiplies (its own cost + what is below it).
const cases: [name: string, query: string, variables: Record<string, unknown> | undefined, expected: number][] = [
  ['one object, scalars free', '{ user(id: "u1") { name } }', undefined, 1],
  ['a list sized by its slicing argument’s schema default (20)', '{ users { name } }', undefined, 20],
  ['nested lists multiply: 5 × (1 + 3 × (1 + 5 × 1))', '{ users(first: 5) { orders(first: 3) { items { quantity } } } }', undefined, 95],
  ['the largest of several slicing arguments (max(2, 7))', '{ users(first: 2, last: 7) { id } }', undefined, 7],
  ['a slicing argument from a variable', 'query ($n: Int) { users(first: $n) { id } }', { n: 4 }, 4],
  ['a missing variable falls back to the argument’s default', 'query ($n: Int) { users(first: $n) { id } }', {}, 20],
  ['variables multiply through nested lists: 3 × (1 + 4)', 'query ($a: Int, $b: Int) { users(first: $a) { orders(first: $b) { id } } }', { a: 3, b: 4 }, 15],
  ['a list slicing argument counts its items', '{ usersByIds(ids: ["a", "b", "c"]) { id } }', undefined, 3],
  ['a negative slice costs nothing', '{ users(first: -5) { id } }', undefined, 0],
  ['aliases count every time', '{ a: user(id: "1") { name } b: user(id: "2") { name } }', undefined, 2],
  ['a fragment’s fields merge with the field’s own: 1 + 10 × 1', '{ user(id: "1") { ...F name } } fragment F on User { name orders { id } }', undefined, 11],
  ['the same field twice is fetched once: 1 + 2 × 1', '{ user(id: "1") { name } user(id: "1") { orders(first: 2) { id } } }', undefined, 3],
  ['a union costs its dearest member: 5 × max(1 + 2, 2 + 3)', '{ search(term: "x") { ... on User { orders(first: 2) { id } } ... on Product { stock { available } } } }', undefined, 25],
  ['an interface costs its dearest implementation: max(1 + 4, 1, 2)', '{ node(id: "1") { id ... on User { orders(first: 4) { id } } } }', undefined, 5],
  ['sizedFields hand the slice to the page’s items: 1 + 50 × (2 + 3)', '{ products(pageSize: 50) { items { stock { available } } total } }', undefined, 251],
  ['sizedFields with the argument’s default: 1 + 10 × 2', '{ products { items { name } } }', undefined, 21],
  ['a list of lists multiplies per level: 3 × 3 × 1', '{ groups { id } }', undefined, 9],
  ['a list of scalars costs nothing', '{ tags }', undefined, 0],
  ['a field weight replaces its type’s: 50 + 10 × 0', '{ report { rows } }', undefined, 50],
  ['a weighted scalar: 1 + 2 × (1 + 1)', '{ user(id: "1") { orders(first: 2) { total } } }', undefined, 5],
  ['a mutation adds its base cost: 10 + 1', 'mutation { cancelOrder(id: "o1") { id } }', undefined, 11],
  ['@skip(if: true) removes the field', '{ user(id: "1") { name orders @skip(if: true) { id } } }', undefined, 1],
  ['@include on a variable counts the field (upper bound): 1 + 2', 'query ($x: Boolean!) { user(id: "1") { orders(first: 2) @include(if: $x) { id } } }', { x: false }, 3],
  ['untyped inline fragments and interface fragments apply', '{ user(id: "1") { ... { name } ...N } } fragment N on Node { id }', undefined, 1],
  ['introspection is free', '{ __typename __schema { types { name fields { name } } } }', undefined, 0],
];

describe('calculateCost', () => {
  it.each(cases)('%s', (_name, query, variables, expected) => {
    expect(cost(query, variables)).toBe(expected);
  });

  it('picks the named operation of a document with several', () => {
    const document = parse('query A { user(id: "1") { name } } query B { users(first: 3) { id } }');
    expect(calculateCost(schema, directives, document, { ...options, operationName: 'B' })).toBe(3);
    expect(calculateCost(schema, directives, document, { ...options, operationName: 'A' })).toBe(1);
  });

  it('compiles a document once and evaluates it per set of variables', () => {
    const plan = planCost(schema, directives, parse('query ($n: Int) { users(first: $n) { orders(first: 2) { id } } }'), undefined, options)!;
    expect([plan.cost({ n: 1 }), plan.cost({ n: 10 }), plan.cost(undefined)]).toEqual([3, 30, 60]);
    expect([...plan.coordinates].sort()).toEqual(['Order.id', 'Query.users', 'User.orders']);
  });

  it('calls a document whose fragments expand past the visit budget unbounded', () => {
    // Each level doubles the fields: 2^16 visits from 16 short lines of text.
    const levels = Array.from({ length: 16 }, (_, i) => `fragment F${i} on User { a: manager { ...F${i + 1} } b: manager { ...F${i + 1} } }`);
    const query = `{ user(id: "1") { ...F0 } } ${levels.join(' ')} fragment F16 on User { id }`;
    expect(calculateCost(schema, directives, parse(query), { ...options, maxFieldVisits: 1000 })).toBe(Infinity);
  });
});

describe('collectCostDirectives', () => {
  it('keys weights by the names the BFF serves, after renames', () => {
    const collected = collectCostDirectives(
      [{ origin: 'source shop', sdl: 'type Page { items: [P] } type Query { page(size: Int): Page @listSize(slicingArguments: ["size"], sizedFields: ["items"]) p: P @cost(weight: 4) }' }],
      { 'Query.p': 'product', 'Page.items': 'entries' },
    );
    expect(collected.fields.get('Query.product')).toBe(4);
    expect(collected.listSizes.get('Query.page')).toEqual({ slicingArguments: ['size'], sizedFields: ['entries'] });
  });

  it('reads type extensions, federation-prefixed names, and keeps the higher of two weights', () => {
    const collected = collectCostDirectives([
      { origin: 'a', sdl: 'type T @cost(weight: 2) { f: Int @federation__cost(weight: 1) }' },
      { origin: 'b', sdl: 'extend type T @cost(weight: 5) { g: [Int] @federation__listSize(assumedSize: 7) }' },
    ]);
    expect(collected.types.get('T')).toBe(5);
    expect(collected.fields.get('T.f')).toBe(1);
    expect(collected.listSizes.get('T.g')).toEqual({ assumedSize: 7, slicingArguments: [], sizedFields: [] });
  });

  it('refuses a weight that is not a non-negative integer, naming the SDL and the field', () => {
    expect(() => collectCostDirectives([{ origin: 'source users', sdl: 'type Query { a: Int @cost(weight: "2") }' }])).toThrow(
      'source users: Query.a: @cost(weight:) must be a non-negative integer',
    );
  });

  it('refuses a slicing argument the field does not take', () => {
    expect(() =>
      collectCostDirectives([{ origin: 'source users', sdl: 'type Query { a(first: Int): [Int] @listSize(slicingArguments: ["limit"]) }' }]),
    ).toThrow('source users: Query.a: @listSize(slicingArguments:) names "limit", which the field does not take');
  });
});
