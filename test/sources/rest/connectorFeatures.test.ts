import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execute, parse, type ExecutionResult } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { stitchSchemas } from '@graphql-tools/stitch';
import { buildRestSource } from '../../../src/sources/rest/buildRestSource.js';
import { createHttpClient, type HttpClient } from '../../../src/transport/httpClient.js';
import { startTestServer, type TestReply, type TestServer } from './restTestServer.js';

// The constructs the demo products API has no use for, against an API shaped for them: nested
// JSON, a wrapped batch answer in its own order, a search by POST.

const book = (id: string) => ({
  book_id: id,
  info: { title: `Title ${id}`, 'page count': Number(id.slice(1)) * 10 },
  price: { amount: { cents: Number(id.slice(1)) * 100 }, currency: 'EUR' },
  authors: [{ name: `A ${id}` }, { name: `B ${id}` }],
});
const known = (id: string) => /^b[1-9]$/.test(id);

const posted: unknown[] = [];
function api(url: URL, body?: string): TestReply {
  if (url.pathname === '/v1/books/lookup') {
    if (url.searchParams.get('view') !== 'full') return { status: 400, body: { error: 'view' } };
    // Known books only, in reverse order, wrapped: the connector matches them to keys by id.
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter(known).reverse();
    return { status: 200, body: { results: ids.map(book) } };
  }
  if (url.pathname === '/v1/books/search') {
    posted.push(JSON.parse(body ?? 'null'));
    return { status: 200, body: { hits: [book('b2'), book('b3')] } };
  }
  const byId = /^\/v1\/books\/([^/]+)$/.exec(url.pathname);
  if (byId && known(byId[1]!)) return { status: 200, body: book(byId[1]!) };
  return { status: 404, body: {} };
}

const SDL = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])
  @link(url: "https://specs.apollo.dev/connect/v0.2", import: [{ name: "@connect", as: "@http" }, "@source"])
  @source(name: "books", http: { baseURL: "https://books.example.com", headers: [{ name: "x-tenant", value: "t1" }] })

type Book @key(fields: "id")
  @http(
    source: "books"
    http: { GET: "/v1/books/lookup?view=full&ids={$batch.id->joinNotNull(',')}" }
    selection: "$.results { id: book_id title: info.title }"
    batch: { maxSize: 2 }
  ) {
  id: ID!
  title: String
  pages: Int
  priceCents: Int
  price: Money
  authorNames: [String]
}

type Money { cents: Int currency: String }

type Query {
  book(id: ID!): Book
    @http(
      source: "books"
      http: { GET: "/v1/books/{$args.id}" }
      selection: """
      # a comment
      id: book_id
      title: info.title
      pages: info."page count"
      priceCents: price.amount.cents
      price: { cents: price.amount.cents currency: price.currency }
      authorNames: authors.name
      """
    )
  bookTitle(id: ID!): String
    @http(source: "books", http: { GET: "/v1/books/{$args.id}", headers: [{ name: "x-tenant", value: "t2" }] }, selection: "$.info.title")
  search(term: String!, limit: Int): [Book]
    @http(
      source: "books"
      http: { POST: "/v1/books/search", body: "query: { text: $args.term } limit: $args.limit" }
      selection: "$.hits { id: book_id title: info.title }"
    )
  echo(id: ID!): Book
    @http(source: "books", http: { GET: "/v1/books/{$args.id}" }, selection: "id: $args.id title: info.title")
}
`;

const shelf = {
  schema: makeExecutableSchema({
    typeDefs: 'type Book { id: ID! } type Query { shelf(ids: [ID!]!): [Book]! }',
    resolvers: { Query: { shelf: (_: unknown, args: { ids: string[] }) => args.ids.map((id) => ({ id })) } },
  }),
};

let server: TestServer;
let client: HttpClient;

async function run(query: string): Promise<ExecutionResult> {
  const schema = stitchSchemas({
    subschemas: [buildRestSource({ name: 'books', sdl: SDL, baseUrl: `${server.baseUrl}`, http: client.call }), shelf],
  });
  return JSON.parse(JSON.stringify(await execute({ schema, document: parse(query), contextValue: { portico: { requestId: 'f1', upstreamHeaders: {} } } }))) as ExecutionResult;
}

beforeAll(async () => {
  server = await startTestServer((url, request) => api(url, request.body));
  client = createHttpClient();
});

afterAll(async () => {
  await client.close();
  await server.close();
});

beforeEach(() => {
  server.reset();
  posted.length = 0;
});

describe('Apollo Connectors: the selection mapping language', () => {
  it('maps aliases, nested paths, quoted keys, groups and paths through lists', async () => {
    const result = await run('{ book(id: "b4") { id title pages priceCents price { cents currency } authorNames } }');
    expect(result).toEqual({
      data: { book: { id: 'b4', title: 'Title b4', pages: 40, priceCents: 400, price: { cents: 400, currency: 'EUR' }, authorNames: ['A b4', 'B b4'] } },
    });
    expect(server.requests.map((r) => r.url)).toEqual(['/v1/books/b4']);
    // The renamed import (@http) is the connect directive; the @source header rides along.
    expect(server.requests[0]!.headers['x-tenant']).toBe('t1');
  });

  it('takes a leaf from a path, and $args inside a selection', async () => {
    expect(await run('{ bookTitle(id: "b1") echo(id: "b2") { id title } }')).toEqual({
      data: { bookTitle: 'Title b1', echo: { id: 'b2', title: 'Title b2' } },
    });
    // A @connect header wins over the @source header of the same name.
    expect(server.requests.map((r) => [r.url, r.headers['x-tenant']]).sort()).toEqual([
      ['/v1/books/b1', 't2'],
      ['/v1/books/b2', 't1'],
    ]);
  });
});

describe('Apollo Connectors: batches and bodies', () => {
  it('matches a wrapped batch answer to keys by id, in any order, and splits by batch.maxSize', async () => {
    const result = await run('{ shelf(ids: ["b1", "b2", "x9", "b3"]) { id title } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      shelf: [
        { id: 'b1', title: 'Title b1' },
        { id: 'b2', title: 'Title b2' },
        { id: 'x9', title: null },
        { id: 'b3', title: 'Title b3' },
      ],
    });
    // maxSize 2: four keys, two calls; the literal view=full stays in the URL.
    expect(server.requests.map((r) => r.url).sort()).toEqual(['/v1/books/lookup?view=full&ids=b1,b2', '/v1/books/lookup?view=full&ids=x9,b3']);
  });

  it('sends a POST body built from $args, and never shares or caches it', async () => {
    const result = await run('{ a: search(term: "kite", limit: 2) { id title } b: search(term: "kite", limit: 2) { id } }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      a: [{ id: 'b2', title: 'Title b2' }, { id: 'b3', title: 'Title b3' }],
      b: [{ id: 'b2' }, { id: 'b3' }],
    });
    expect(server.requests.filter((r) => r.url === '/v1/books/search' && r.method === 'POST')).toHaveLength(2);
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    expect(posted).toEqual([
      { query: { text: 'kite' }, limit: 2 },
      { query: { text: 'kite' }, limit: 2 },
    ]);
  });
});
