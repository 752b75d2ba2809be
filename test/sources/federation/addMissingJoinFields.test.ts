import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../../src/sources/federation/composeSupergraph.js';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { federationGateway, type FederationGateway } from './federationGateway.js';
import { compatibleTypes } from '../../fixtures/federation/shapes/compatibleTypes.js';
import { mixedNullability } from '../../fixtures/federation/shapes/mixedNullability.js';

// Issue 17: @theguild/federation-composition 0.27 leaves `@join__field` off a Query field every
// subgraph defines (losing `@provides`) and off an interface field every subgraph of the
// interface defines (losing an @interfaceObject's `@external`). The expected lines are what
// Apollo's composer writes for the same subgraphs (composition-js merging/merge.ts,
// addJoinField: one `@join__field` per subgraph defining the field, with `external: true`,
// `provides:` and `requires:` as that subgraph declares them).

const link = (imports: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [${imports}])`;
const fieldLine = (supergraph: string, field: string) => supergraph.split('\n').find((line) => line.startsWith(`  ${field}:`));

describe('composeSupergraph writes the @join__fields Apollo writes', () => {
  it('keeps @provides on a Query field that every subgraph defines', () => {
    const supergraph = composeSupergraph([
      { name: 'lists', url: 'http://lists.test/graphql', sdl: `${link('"@key", "@shareable"')}
        type Query { books: [Book!]! @shareable }
        type Book @key(fields: "id") { id: ID! title: String! }` },
      { name: 'shelf', url: 'http://shelf.test/graphql', sdl: `${link('"@key", "@shareable", "@external", "@provides"')}
        type Query { books: [Book!]! @shareable @provides(fields: "title") }
        type Book @key(fields: "id") { id: ID! title: String! @external }` },
    ]);
    expect(fieldLine(supergraph, 'books')).toBe('  books: [Book!]! @join__field(graph: LISTS) @join__field(graph: SHELF, provides: "title")');
    expect(fieldLine(supergraph, 'title')).toBe('  title: String! @join__field(graph: LISTS) @join__field(graph: SHELF, external: true)');
  });

  it('marks an @interfaceObject\'s @external interface field external: true, beside its @requires', () => {
    const supergraph = composeSupergraph([
      { name: 'catalog', url: 'http://catalog.test/graphql', sdl: `${link('"@key"')}
        type Query { media: [Media!]! }
        interface Media @key(fields: "id") { id: ID! title: String }
        type Film implements Media @key(fields: "id") { id: ID! title: String }` },
      { name: 'ratings', url: 'http://ratings.test/graphql', sdl: `${link('"@key", "@interfaceObject", "@external", "@requires"')}
        type Media @key(fields: "id") @interfaceObject { id: ID! title: String @external stars: String @requires(fields: "title") }` },
    ]);
    const media = supergraph.slice(supergraph.indexOf('interface Media'));
    expect(fieldLine(media, 'title')).toBe('  title: String @join__field(graph: CATALOG) @join__field(graph: RATINGS, external: true)');
    expect(fieldLine(media, 'stars')).toBe('  stars: String @join__field(graph: RATINGS, requires: "title")');
  });

  it('reads directives imported under another name, and writes type: where the subgraphs\' types differ', () => {
    const supergraph = composeSupergraph([
      { name: 'lists', url: 'http://lists.test/graphql', sdl: `${link('"@key", "@shareable"')}
        type Query { books: [Book!] @shareable }
        type Book @key(fields: "id") { id: ID! title: String! }` },
      { name: 'shelf', url: 'http://shelf.test/graphql', sdl: `${link('"@key", "@shareable", { name: "@provides", as: "@gives" }')}
        type Query { books: [Book!]! @shareable @gives(fields: "title") }
        type Book @key(fields: "id") { id: ID! title: String! @federation__external }` },
    ]);
    expect(fieldLine(supergraph, 'books')).toBe(
      '  books: [Book!] @join__field(graph: LISTS, type: "[Book!]") @join__field(graph: SHELF, type: "[Book!]!", provides: "title")',
    );
  });

  it('types a field the subgraphs type differently by the type every other is a subtype of, with each subgraph\'s type beside it', () => {
    // test/fixtures/federation/shapes/compatibleTypes.ts: `featured` is `Item` in store and `Book`
    // in archive; `Book.sequel` is `Item` in store and `Book!` in archive; `Book.title` is
    // `String!` in store and `String` in archive. The library printed `featured: Book` and
    // `sequel: Book!` with no @join__field; Apollo's composer writes these lines.
    const supergraph = composeSupergraph(compatibleTypes.map(({ name, sdl }) => ({ name, url: `http://${name}.test/graphql`, sdl })));
    expect(fieldLine(supergraph, 'featured')).toBe('  featured: Item @join__field(graph: ARCHIVE, type: "Book") @join__field(graph: STORE, type: "Item")');
    expect(fieldLine(supergraph, 'sequel')).toBe('  sequel: Item @join__field(graph: ARCHIVE, type: "Book!") @join__field(graph: STORE, type: "Item")');
    expect(fieldLine(supergraph, 'title')).toBe('  title: String @join__field(graph: ARCHIVE, type: "String") @join__field(graph: STORE, type: "String!")');
    // test/fixtures/federation/shapes/mixedNullability.ts: `Post.code` non-null in board only.
    const mixed = composeSupergraph(mixedNullability.map(({ name, sdl }) => ({ name, url: `http://${name}.test/graphql`, sdl })));
    expect(fieldLine(mixed.slice(mixed.indexOf('type Post')), 'code')).toBe('  code: String @join__field(graph: BOARD, type: "String!") @join__field(graph: FEED, type: "String")');
  });

  it('leaves types no subgraph type generalises as the library printed them: `Item!` beside `Book` has no common supertype', () => {
    const supergraph = composeSupergraph([
      { name: 'a', url: 'http://a.test/graphql', sdl: `${link('"@key", "@shareable"')}
        type Query { pick: Item! @shareable }
        interface Item { id: ID! }
        type Book implements Item @key(fields: "id") { id: ID! }` },
      { name: 'b', url: 'http://b.test/graphql', sdl: `${link('"@key", "@shareable"')}
        type Query { pick: Book @shareable }
        type Book @key(fields: "id") { id: ID! }` },
    ]);
    expect(fieldLine(supergraph, 'pick')).toMatch(/^ {2}pick: (Item!|Book) @join__field\(graph: A, type: "Item!"\) @join__field\(graph: B, type: "Book"\)$/);
  });

  it('keeps a key field marked @external in a type extension its own subgraph\'s, as Apollo\'s composer does', () => {
    const supergraph = composeSupergraph([
      { name: 'pricing', url: 'http://pricing.test/graphql', sdl: `${link('"@key", "@external"')}
        extend type Lamp @key(fields: "sku") { sku: ID! @external cost: Int }
        type Query { cheapest: Lamp }` },
      { name: 'lamps', url: 'http://lamps.test/graphql', sdl: `${link('"@key"')}
        type Lamp @key(fields: "sku") { sku: ID! label: String! }
        type Query { lamps: [Lamp!]! }` },
    ]);
    // No `external: true` for pricing: it answers `cheapest { sku }` itself.
    expect(fieldLine(supergraph, 'sku')).toBe('  sku: ID!');
  });

  it('leaves a field whose subgraphs declare nothing special without @join__field, as the library does', () => {
    const supergraph = composeSupergraph([
      { name: 'a', url: 'http://a.test/graphql', sdl: `${link('"@shareable"')}
        type Query { hello: String @shareable }` },
      { name: 'b', url: 'http://b.test/graphql', sdl: `${link('"@shareable"')}
        type Query { hello: String @shareable }` },
    ]);
    expect(fieldLine(supergraph, 'hello')).toBe('  hello: String');
  });

  // Issue 17 (peer suite complex-entity-call, fed2-external-extends): a v2 subgraph writing a type
  // it does not own the Federation 1 way marks its key `@external`; Apollo and the library record
  // that key as the subgraph's own, and so must the @join__fields written back here.
  it('writes no external: true for the key an @extends type or an `extend type` marks @external', () => {
    const supergraph = composeSupergraph([
      { name: 'owner', url: 'http://owner.test/graphql', sdl: `${link('"@key"')}
        type Query { parcels: [Parcel!]! }
        type Parcel @key(fields: "ref") { ref: ID! grams: Int! }
        type Depot @key(fields: "code") { code: ID! city: String! }` },
      { name: 'courier', url: 'http://courier.test/graphql', sdl: `${link('"@key", "@external", "@extends", "@requires"')}
        type Parcel @extends @key(fields: "ref") { ref: ID! @external grams: Int! @external fee: Int! @requires(fields: "grams") }
        extend type Depot @key(fields: "code") { code: ID! @external open: Boolean! }` },
    ]);
    expect(fieldLine(supergraph, 'ref')).toBe('  ref: ID!');
    expect(fieldLine(supergraph, 'code')).toBe('  code: ID!');
    // Not a key field: still only the owner's, sent to courier through @requires.
    expect(fieldLine(supergraph, 'grams')).toBe('  grams: Int! @join__field(graph: COURIER, external: true) @join__field(graph: OWNER)');
  });
});

// The joinFields scenario (test/fixtures/federation/joinFields/) on real subgraph processes.
describe('the planner over those @join__fields, against real subgraphs', () => {
  let fixture: FederationFixture;
  let gateway: FederationGateway;
  beforeAll(async () => {
    fixture = await startFederationFixture('joinFields');
    gateway = federationGateway(fixture.supergraphSdl, 'planner');
  });
  afterAll(async () => {
    await gateway?.close();
    await fixture?.stop();
  });

  it('answers a @provides query from the providing subgraph alone: one request, no entity fetch', async () => {
    const { result, calls } = await gateway.run('{ books { id title rating } }');
    expect(gateway.fallbacks).toEqual([]);
    expect(result).toEqual({ data: { books: [{ id: 'b1', title: 'Dune', rating: 5 }, { id: 'b2', title: 'Solaris', rating: 4 }] } });
    expect(calls).toEqual({ shelf: 1 });
  });

  it('fetches an @interfaceObject\'s @external field from the subgraph that resolves it, and sends it to @requires', async () => {
    const { result, calls } = await gateway.run('{ topRated { id title stars } }');
    expect(gateway.fallbacks).toEqual([]);
    expect(result).toEqual({ data: { topRated: [{ id: 'f2', title: 'Heat', stars: '****' }, { id: 'f1', title: 'Alien', stars: '*****' }] } });
    // ratings' root field, catalog's title (and type), then ratings' stars with the title.
    expect(calls).toEqual({ ratings: 2, catalog: 1 });
  });
});
