import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  composeSupergraph,
  SupergraphCompositionError,
} from '../../../src/sources/federation/composeSupergraph.js';
import { scenarios, type FederationScenario } from '../../fixtures/federation/scenarios.js';
import { committedSupergraphPath, composeFixtureSupergraph } from '../../support/federationFixture.js';

const link = (imports: string) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [${imports}])`;

describe('composeSupergraph', () => {
  it('writes each subgraph into the supergraph under its name, with its URL', () => {
    const supergraph = composeSupergraph(
      scenarios.media.map((subgraph) => ({
        name: subgraph.name,
        url: `http://127.0.0.1:4000/${subgraph.name}`,
        sdl: subgraph.sdl,
      })),
    );
    expect(supergraph.match(/@join__graph\(name: ".*\)/g)).toEqual([
      '@join__graph(name: "catalogue", url: "http://127.0.0.1:4000/catalogue")',
      '@join__graph(name: "ratings", url: "http://127.0.0.1:4000/ratings")',
      '@join__graph(name: "search", url: "http://127.0.0.1:4000/search")',
    ]);
  });

  it('reports every composition error at once and names the subgraphs', () => {
    const compose = () =>
      composeSupergraph([
        {
          name: 'products',
          url: 'http://products.test/graphql',
          sdl: `${link('"@key"')}
            type Query { product: Product }
            type Product @key(fields: "upc") { upc: String! name: String! }`,
        },
        {
          name: 'inventory',
          url: 'http://inventory.test/graphql',
          sdl: `${link('"@key", "@external", "@requires"')}
            type Product @key(fields: "upc") {
              upc: String!
              name: String!
              weight: Int! @external
              estimate: Int! @requires(fields: "weight")
            }`,
        },
      ]);
    expect(compose).toThrow(SupergraphCompositionError);
    expect(compose).toThrow(
      'Composing the supergraph from subgraphs products, inventory failed with 2 errors:\n' +
        '  - Non-shareable field "Product.name" is resolved from multiple subgraphs: it is resolved ' +
        'from subgraphs "inventory" and "products" and defined as non-shareable in all of them\n' +
        '  - Field "Product.weight" is marked @external on all the subgraphs in which it is listed ' +
        '(subgraph "inventory").',
    );
  });

  it('names the subgraph whose SDL does not parse', () => {
    expect(() =>
      composeSupergraph([
        { name: 'accounts', url: 'http://accounts.test/graphql', sdl: 'type Query { me: User' },
      ]),
    ).toThrow(
      'Composing the supergraph from subgraphs accounts failed with 1 error:\n' +
        '  - [accounts] SDL does not parse: Syntax Error: Expected Name, found <EOF>.',
    );
  });

  it.each(Object.keys(scenarios) as FederationScenario[])(
    'keeps the committed %s/supergraph.graphql equal to what its subgraphs compose to',
    async (scenario) => {
      // On failure, run: node --import tsx test/fixtures/federation/writeSupergraphs.ts
      const committed = await readFile(committedSupergraphPath(scenario), 'utf8');
      expect(committed).toBe(composeFixtureSupergraph(scenario));
    },
  );
});
