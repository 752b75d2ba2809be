import { describe, expect, it } from 'vitest';
import { buildRestSource } from '../../../src/sources/rest/buildRestSource.js';
import { ConfigError } from '../../../src/config/configError.js';

const FILE = 'schemas/catalog.connect.graphql';
const http = async () => ({ status: 500, headers: {}, body: '' });
const build = (sdl: string) => buildRestSource({ name: 'catalog', sdl, baseUrl: 'http://unused', http, file: FILE });

const LINK = `extend schema
  @link(url: "https://specs.apollo.dev/connect/v0.2", import: ["@connect", "@source"])
  @source(name: "api", http: { baseURL: "https://api.example.com" })
`;
const ITEM = 'type Item { id: ID! name: String tags: [String] }';
/** A schema with one Query field connected by `connect` (the directive's arguments). */
const withQuery = (connect: string, field = 'item(id: ID!): Item') => `${LINK}\n${ITEM}\ntype Query { ${field} @connect(${connect}) }`;
const GET_ITEM = 'source: "api", http: { GET: "/items/{$args.id}" }';

/** Builds the SDL and returns the start-up error, which must be a ConfigError naming the file. */
function refusal(sdl: string): ConfigError {
  try {
    build(sdl);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(FILE);
    return error as ConfigError;
  }
  throw new Error('the schema was accepted');
}

describe('Apollo Connectors: an unsupported construct stops start-up, naming file, field and construct', () => {
  it.each([
    // Links and imports.
    ['a link to another spec', LINK.replace('connect/v0.2', 'connect/v0.2"\n) @link(url: "https://specs.apollo.dev/cost/v0.1'), '@link', '@link(url: "https://specs.apollo.dev/cost/v0.1")'],
    ['a namespaced link (as:)', LINK.replace('import:', 'as: "c", import:'), '@link', 'as:'],
    ['a federation import other than @key', `extend schema @link(url: "https://specs.apollo.dev/federation/v2.10", import: ["@key", "@shareable"])\n${LINK}`, '@link', 'import "@shareable"'],
    ['@connect without the link', LINK.replace(/@link\([^)]*\)/, ''), '@link', '@link'],
    // @source.
    ['no @source', LINK.replace(/ {2}@source\(.*\)\n/, ''), '@source', 'exactly one is supported (found 0)'],
    ['two @sources', LINK.replace('  @source(', '  @source(name: "other", http: { baseURL: "https://b.example.com" }) @source('), '@source', 'found 2'],
    ['a @source option outside the subset', LINK.replace('baseURL: "https://api.example.com"', 'baseURL: "https://api.example.com", path: "/v1"'), '@source', '@source(http: { path })'],
    ['a header taken from the client request', LINK.replace('baseURL: "https://api.example.com"', 'baseURL: "https://api.example.com", headers: [{ name: "authorization", from: "authorization" }]'), '@source', 'headers { name: "authorization", from }'],
    ['a header Portico owns', LINK.replace('baseURL: "https://api.example.com"', 'baseURL: "https://api.example.com", headers: [{ name: "X-Portico-Subject", value: "admin" }]'), '@source', 'headers { name: "x-portico-subject" }: reserved'],
    ['an expression in a header value', LINK.replace('baseURL: "https://api.example.com"', 'baseURL: "https://api.example.com", headers: [{ name: "x-key", value: "{$config.key}" }]'), '@source', 'expressions in header values'],
  ])('%s', (_name, schemaPart, key, construct) => {
    const error = refusal(`${schemaPart}\n${ITEM}\ntype Query { item(id: ID!): Item @connect(${GET_ITEM}, selection: "id") }`);
    expect(error.key).toBe(key);
    expect(error.message).toContain(construct);
  });

  it.each([
    // @connect arguments and HTTP.
    ['a @connect option outside the subset', `${GET_ITEM}, selection: "id", errors: { message: "error" }`, '@connect(errors:)'],
    ['a write method', 'source: "api", http: { PUT: "/items/{$args.id}" }, selection: "id"', '@connect(http: { PUT })'],
    ['DELETE', 'source: "api", http: { DELETE: "/items/{$args.id}" }, selection: "id"', '@connect(http: { DELETE })'],
    ['queryParams', 'source: "api", http: { GET: "/items", queryParams: "id: $args.id" }, selection: "id"', '@connect(http: { queryParams })'],
    ['an absolute URL without a source', 'http: { GET: "https://api.example.com/items/{$args.id}" }, selection: "id"', '@connect without source'],
    ['a source the schema does not define', 'source: "elsewhere", http: { GET: "/items/{$args.id}" }, selection: "id"', '@connect(source: "elsewhere")'],
    // URL templates.
    ['a method in a URL expression', 'source: "api", http: { GET: "/items/{$args.id->slice(0, 2)}" }, selection: "id"', 'GET "{$args.id->slice(0, 2)}"'],
    ['a nested path in a URL expression', 'source: "api", http: { GET: "/items/{$args.input.id}" }, selection: "id"', 'nested paths'],
    ['$config in a URL', 'source: "api", http: { GET: "/items/{$config.tenant}" }, selection: "id"', 'GET "{$config.tenant}"'],
    ['$this on a root field', 'source: "api", http: { GET: "/items/{$this.id}" }, selection: "id"', '$this is not available here'],
    ['$batch on a field', 'source: "api", http: { GET: "/items?ids={$batch.id->joinNotNull(\',\')}" }, selection: "id"', '$batch is only available'],
    ['an argument the field lacks', 'source: "api", http: { GET: "/items/{$args.code}" }, selection: "id"', '{$args.code}'],
    // The selection mapping language.
    ['a method in a selection', `${GET_ITEM}, selection: "id tags: tags->first"`, 'selection "->"'],
    ['a literal in a selection', `${GET_ITEM}, selection: "id name: $(\\"x\\")"`, 'selection "$("'],
    ['the ?? operator', `${GET_ITEM}, selection: "id name: name ?? title"`, 'selection "??"'],
    ['optional chaining', `${GET_ITEM}, selection: "id name: a?.b"`, 'selection "?."'],
    ['a spread', `${GET_ITEM}, selection: "id ...rest"`, 'selection "..."'],
    ['$batch in a selection', `${GET_ITEM}, selection: "id: $batch.id"`, 'selection "$batch"'],
    ['a field the type lacks', `${GET_ITEM}, selection: "id title"`, 'selection "title"'],
    ['a sub-selection on a leaf', `${GET_ITEM}, selection: "id name { first }"`, 'selection "name"'],
    ['a body on GET', `source: "api", http: { GET: "/items/{$args.id}", body: "id: $args.id" }, selection: "id"`, '@connect(http: { body })'],
    ['a body value not from $args', `source: "api", http: { POST: "/items/search", body: "id: id" }, selection: "id"`, 'body "id"'],
  ])('%s', (_name, connect, construct) => {
    const error = refusal(withQuery(connect));
    expect(error.key).toBe('Query.item');
    expect(error.message).toContain(construct);
    expect(error.message.startsWith(`${FILE}: Query.item: `)).toBe(true);
  });

  it.each([
    ['a type connector fetching one entity at a time', `type Item @connect(source: "api", http: { GET: "/items/{$this.id}" }, selection: "id") { id: ID! }`, 'Item', '@connect on a type without $batch'],
    ['a POST batch', `type Item @connect(source: "api", http: { POST: "/items?ids={$batch.id->joinNotNull(',')}" }, selection: "id") { id: ID! }`, 'Item', 'POST with $batch'],
    ['$batch inside a longer value', `type Item @connect(source: "api", http: { GET: "/items?ids=x{$batch.id->joinNotNull(',')}" }, selection: "id") { id: ID! }`, 'Item', '$batch is only supported as the whole value'],
    ['a batch selection without the key', `type Item @connect(source: "api", http: { GET: "/items?ids={$batch.id->joinNotNull(',')}" }, selection: "name") { id: ID! name: String }`, 'Item', 'must select the key field "id"'],
    ['a compound @key', `extend schema @link(url: "https://specs.apollo.dev/federation/v2.10", import: ["@key"])\ntype Item @key(fields: "id sku") @connect(source: "api", http: { GET: "/items?ids={$batch.id->joinNotNull(',')}" }, selection: "id") { id: ID! sku: String }`, 'Item', '@key(fields: "id sku")'],
    ['@connect on an interface', `interface Named @connect(source: "api", http: { GET: "/named" }, selection: "id") { id: ID! } type Item { id: ID! }`, 'Named', '@connect on interface type definition'],
  ])('%s', (_name, types, key, construct) => {
    const error = refusal(`${LINK}\n${types}\ntype Query { ping: Item @connect(source: "api", http: { GET: "/ping" }, selection: "id") }`);
    expect(error.key).toBe(key);
    expect(error.message).toContain(construct);
  });

  it.each([
    ['an object field', 'owner: Item @connect(source: "api", http: { GET: "/items/{$this.self}" }, selection: "id")', 'must name a scalar or enum field'],
    ['a field fetched by its own @connect', 'owner: Item @connect(source: "api", http: { GET: "/owners/{$this.code}" }, selection: "id")', 'names a field fetched by its own @connect'],
  ])('refuses $this naming %s', (_name, field, problem) => {
    const sdl = `${LINK}\ntype Item { id: ID! self: Item code: ID @connect(source: "api", http: { GET: "/code/{$this.id}" }, selection: "$.code") ${field} }\ntype Query { item(id: ID!): Item @connect(${GET_ITEM}, selection: "id") }`;
    const error = refusal(sdl);
    expect(error.key).toBe('Item.owner');
    expect(error.message).toContain(problem);
  });

  it('refuses Mutation fields: REST sources only read', () => {
    const error = refusal(`${withQuery(`${GET_ITEM}, selection: "id"`)}\ntype Mutation { save(id: ID!): Item @connect(source: "api", http: { POST: "/items" }, selection: "id") }`);
    expect(error.key).toBe('Mutation.save');
    expect(error.message).toContain('Mutation fields');
  });

  it('refuses a Query field without @connect, which nothing could resolve', () => {
    const error = refusal(withQuery(`${GET_ITEM}, selection: "id"`).replace('type Query {', 'type Query { other: Item'));
    expect(error.key).toBe('Query.other');
    expect(error.message).toContain('Query field without @connect');
  });

  it('refuses entity: true without a $batch type connector beside it', () => {
    const error = refusal(withQuery(`${GET_ITEM}, selection: "id", entity: true`));
    expect(error.key).toBe('Query.item');
    expect(error.message).toContain('@connect(entity: true)');
  });

  it('refuses a field returning an interface', () => {
    const error = refusal(`${LINK}\ninterface Named { id: ID! } type Item implements Named { id: ID! }\ntype Query { named: Named @connect(source: "api", http: { GET: "/n" }, selection: "id") }`);
    expect(error.key).toBe('Query.named');
    expect(error.message).toContain('abstract types');
  });

  it('without a file option, names the source in place of the file', () => {
    expect(() => buildRestSource({ name: 'catalog', sdl: withQuery('source: "api", http: { PUT: "/x" }, selection: "id"'), baseUrl: 'http://unused', http })).toThrow(
      /^catalog schema: Query\.item: @connect\(http: \{ PUT \}\)/,
    );
  });
});
