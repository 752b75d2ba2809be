import { describe, expect, it } from 'vitest';
import { buildRestSource } from '../../../src/sources/rest/buildRestSource.js';

const http = async () => ({ status: 500, headers: {}, body: '' });
const build = (sdl: string) => () => buildRestSource({ name: 'products', sdl, baseUrl: 'http://unused', http });

const product = 'type Product @key(fields: "id") @batch(path: "/products", param: "ids") { id: ID! name: String }';

describe('buildRestSource rejects a mistaken SDL at build time, naming source, type and field', () => {
  it.each([
    [
      'a path placeholder naming an unknown argument',
      'type Query { product(id: ID!): String @rest(path: "/products/{args.x}") }',
      'products: Query.product: path template refers to unknown argument "x"',
    ],
    [
      'a query placeholder naming an unknown argument',
      'type Query { list(page: Int): String @rest(path: "/p", query: { page: "{args.pag}" }) }',
      'products: Query.list: query parameter "page" refers to unknown argument "pag"',
    ],
    [
      'a placeholder naming an unknown parent field',
      `${product} type Stock { n: Int } extend type Product { stock: Stock @rest(path: "/inventory/{parent.code}") } type Query { p(id: ID!): Product @rest(path: "/products/{args.id}") }`,
      'products: Product.stock: path template refers to unknown parent field "code"',
    ],
    [
      'a parent placeholder on a root field',
      'type Query { p: String @rest(path: "/p/{parent.id}") }',
      'products: Query.p: path template refers to {parent.id}, but a root field has no parent',
    ],
    [
      'an input object in a template',
      'input F { a: Int } type Query { p(f: F): String @rest(path: "/p/{args.f}") }',
      'products: Query.p: path template refers to argument "f", which is not a scalar or enum',
    ],
    [
      'a path without a leading slash',
      'type Query { p(id: ID!): String @rest(path: "products/{args.id}") }',
      'products: Query.p: path template must start with "/"',
    ],
    [
      'a malformed placeholder',
      'type Query { p(id: ID!): String @rest(path: "/products/{id}") }',
      'products: Query.p: path template: "/products/{id}" has placeholder "{id}"',
    ],
    [
      '@batch without @key',
      'type Product @batch(path: "/products", param: "ids") { id: ID! } type Query { p(id: ID!): Product @rest(path: "/products/{args.id}") }',
      'products: Product: @batch needs @key on the same type',
    ],
    [
      '@key naming an unknown field',
      'type Product @key(fields: "uuid") @batch(path: "/products", param: "ids") { id: ID! } type Query { p(id: ID!): Product @rest(path: "/products/{args.id}") }',
      'products: Product: @key(fields: "uuid") must name one field of Product',
    ],
    [
      'a compound @key',
      'type Product @key(fields: "id sku") { id: ID! sku: ID! } type Query { p(id: ID!): Product @rest(path: "/products/{args.id}") }',
      'compound keys are not supported',
    ],
    [
      'a field of an extended-only entity with nothing to fetch it',
      'type Product @key(fields: "id") { id: ID! name: String } type Query { p(id: ID!): Product @rest(path: "/products/{args.id}") }',
      'products: Product.name: Product has @key but no @batch, so the source only extends it; the field needs @rest',
    ],
    [
      'a parent placeholder naming a field that is itself fetched by @rest',
      'type Stock { n: Int } type Product @key(fields: "id") { id: ID! sku: String @rest(path: "/s/{parent.id}") stock: Stock @rest(path: "/i/{parent.sku}") } type Query { s(id: ID!): Stock @rest(path: "/i/{args.id}") }',
      'products: Product.stock: path template refers to parent field "sku", which is fetched by @rest',
    ],
    [
      'a Query field without @rest',
      'type Query { p(id: ID!): String }',
      'products: Query.p: a Query field needs @rest',
    ],
    [
      'a field with both @rest and @map',
      'type Query { p(id: ID!): String @rest(path: "/p/{args.id}") @map(from: "x") }',
      'products: Query.p: @rest and @map cannot both apply',
    ],
    [
      'a Mutation',
      'type Query { p(id: ID!): String @rest(path: "/p/{args.id}") } type Mutation { m: String }',
      'products: Mutation: REST sources only read (GET)',
    ],
    [
      'a field named like the generated entity root field',
      `${product} type Query { _productsByIds(ids: [ID!]!): [Product]! @rest(path: "/products") }`,
      'products: Product: Query._productsByIds is generated for the entity',
    ],
    [
      'a directive argument of the wrong type',
      'type Query { p(id: ID!): String @rest(path: 5) }',
      'products: Query.p: @rest: Argument "path" has invalid value 5.',
    ],
    [
      'an SDL that does not parse',
      'type Query { p: String @rest(path: "/p" }',
      'products: Syntax Error',
    ],
    [
      'an unknown directive',
      'type Query { p: String @rest(path: "/p") @cache(ttl: 5) }',
      'products: Unknown directive "@cache"',
    ],
  ])('rejects %s', (_, sdl, message) => {
    expect(build(sdl)).toThrow(message);
  });

  it('accepts the repository\'s own products and inventory schemas', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const name of ['products', 'inventory']) {
      const sdl = await readFile(new URL(`../../../schemas/${name}.graphql`, import.meta.url), 'utf8');
      expect(() => buildRestSource({ name, sdl, baseUrl: 'http://unused', http })).not.toThrow();
    }
  });

  it('rejects a maxConcurrency that is not a positive integer', () => {
    expect(() => buildRestSource({ name: 'products', sdl: 'type Query { p: String @rest(path: "/p") }', baseUrl: 'http://x', http, maxConcurrency: 0 })).toThrow(
      'products: maxConcurrency must be a positive integer, got 0',
    );
  });
});
