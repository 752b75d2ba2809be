import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { collectCacheHints } from '../../../src/plugins/response-cache/collectCacheHints.js';
import { planCachePolicy } from '../../../src/plugins/response-cache/planCachePolicy.js';

const SDL = /* GraphQL */ `
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  enum CacheControlScope { PUBLIC PRIVATE }

  type Product @cacheControl(maxAge: 60) {
    id: ID!
    name: String!
    stock: Stock
    reviews: [Review!]!
    price: Money @cacheControl(inheritMaxAge: true)
    related: [Product!]! @cacheControl(maxAge: 120)
  }
  type Money { cents: Int! }
  type Stock @cacheControl(maxAge: 5) { available: Int! }
  type Review { stars: Int! }
  type User @cacheControl(maxAge: 30, scope: PRIVATE) { id: ID! name: String! friends: [User!]! }
  interface Node { id: ID! }
  type Order implements Node @cacheControl(maxAge: 20, scope: PRIVATE) { id: ID! }
  type Tenant implements Node @cacheControl(maxAge: 90) { id: ID! }
  union Result = Product | Review
  type Query {
    product(id: ID!): Product
    products: [Product!]!
    user: User
    me: User @cacheControl(maxAge: 10)
    publicUser: User @cacheControl(maxAge: 10, scope: PUBLIC)
    node(id: ID!): Node
    search: [Result!]!
    version: String
    pinned: String @cacheControl(maxAge: 300)
  }
  type Mutation { touch: Product }
`;
const schema = buildSchema(SDL);
const hints = collectCacheHints([{ origin: 'test', sdl: SDL }]);
const plan = (query: string, operationName?: string, defaultMaxAge = 0) =>
  planCachePolicy(schema, hints, parse(query), operationName, { defaultMaxAge });

describe('planCachePolicy', () => {
  it.each([
    ['a type hint applies to the field returning it', '{ product(id: "p1") { id name } }', { maxAge: 60, scope: 'PUBLIC' }],
    ['the shortest max-age of all fields wins', '{ product(id: "p1") { name stock { available } } }', { maxAge: 5, scope: 'PUBLIC' }],
    ['a longer field hint does not outlive its parent', '{ product(id: "p1") { related { id } } }', { maxAge: 60, scope: 'PUBLIC' }],
    ['a field hint replaces its type max-age', '{ me { name } }', { maxAge: 10, scope: 'PRIVATE' }],
    ['a PRIVATE type makes the whole response PRIVATE', '{ products { id } user { name } }', { maxAge: 30, scope: 'PRIVATE' }],
    ['inheritMaxAge takes the parent age instead of the default', '{ product(id: "p1") { price { cents } } }', { maxAge: 60, scope: 'PUBLIC' }],
    ['fragments count like inline selections', 'query Q { product(id: "p1") { ...F } } fragment F on Product { stock { available } }', { maxAge: 5, scope: 'PUBLIC' }],
    ['a literal @skip(if: true) field does not count', '{ product(id: "p1") { name reviews @skip(if: true) { stars } } }', { maxAge: 60, scope: 'PUBLIC' }],
    ['an abstract type is as strict as its possible types', '{ node(id: "o1") { id } }', { maxAge: 20, scope: 'PRIVATE' }],
    ['a scalar root field with a hint is cacheable', '{ pinned }', { maxAge: 300, scope: 'PUBLIC' }],
    // Delivery, not data: only complete results are stored (docs/defer-stream.md).
    ['@defer counts its fragment like an inline one', '{ product(id: "p1") { name ... @defer { stock { available } } } }', { maxAge: 5, scope: 'PUBLIC' }],
  ])('%s', (_name, query, expected) => {
    expect(plan(query)).toEqual(expected);
  });

  it.each([
    ['a composite field without a hint', '{ product(id: "p1") { reviews { stars } } }'],
    ['a root scalar without a hint', '{ version }'],
    ['a union with an unhinted possible type', '{ search { __typename } }'],
    ['a field under @skip with a variable (it may be selected)', 'query Q($s: Boolean!) { product(id: "p1") { reviews @skip(if: $s) { stars } } }'],
    ['introspection', '{ __schema { queryType { name } } }'],
    ['only __typename (nothing allows caching)', '{ __typename }'],
    ['a mutation', 'mutation { touch { id } }'],
  ])('does not cache %s', (_name, query) => {
    expect(plan(query)).toBeUndefined();
  });

  it('never lets a field hint make a PRIVATE type PUBLIC', () => {
    expect(plan('{ publicUser { name } }')).toEqual({ maxAge: 10, scope: 'PRIVATE' });
  });

  it('gives unhinted fields defaultMaxAge when it is set', () => {
    expect(plan('{ product(id: "p1") { reviews { stars } } }', undefined, 15)).toEqual({ maxAge: 15, scope: 'PUBLIC' });
  });

  it('plans the operation named in the request', () => {
    const query = 'query A { version } query B { product(id: "p1") { id } }';
    expect(plan(query, 'A')).toBeUndefined();
    expect(plan(query, 'B')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
  });

  it('gives up (no caching) when fragments expand past the visit budget', () => {
    const query = 'query Q { products { related { related { related { id name } } } } }';
    expect(planCachePolicy(schema, hints, parse(query), 'Q', { defaultMaxAge: 0, maxFieldVisits: 3 })).toBeUndefined();
  });
});
