import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { ENGINES, federationGateway, type FederationGateway } from './federationGateway.js';
import { interfaceObject, unionAcrossSubgraphs } from '../../fixtures/federation/expectations.js';

// catalogue owns the entity interface Media (Book, Movie); ratings adds `stars` to Media through
// @interfaceObject; search returns a union of Book, Movie and its own Person
// (test/fixtures/federation/media/).
let fixture: FederationFixture;

beforeAll(async () => {
  fixture = await startFederationFixture('media');
});

afterAll(async () => {
  await fixture?.stop();
});

// Both engines give the same answers with the same subgraph calls; the planner plans every one
// of them itself (entity interface, @interfaceObject, union), never handing one to stitching.
describe.each(ENGINES)('abstract types across subgraphs (media), executed by %s', (engine) => {
  let federation: FederationGateway;
  beforeAll(() => {
    federation = federationGateway(fixture.supergraphSdl, engine);
  });
  afterAll(() => federation?.close());
  const gateway = {
    async run(query: string) {
      federation.fallbacks.length = 0;
      const outcome = await federation.run(query);
      expect(federation.fallbacks).toEqual([]);
      return outcome;
    },
  };

  it('completes an entity interface with fields from the subgraph that extends it via @interfaceObject', async () => {
    const { result, calls } = await gateway.run(interfaceObject.query);
    expect(result).toEqual({ data: interfaceObject.data });
    expect(calls).toEqual({ catalogue: 1, ratings: 1 });
  });

  it('asks the interface owner for the concrete type of objects an @interfaceObject subgraph returns', async () => {
    // ratings only knows "Media"; __typename and the Book/Movie fragments need catalogue.
    const query = /* GraphQL */ `
      {
        topRated {
          __typename
          id
          stars
          title
          ... on Book { author }
          ... on Movie { director }
        }
      }
    `;
    const { result, calls } = await gateway.run(query);
    expect(result).toEqual({
      data: {
        topRated: [
          { __typename: 'Book', id: 'b1', stars: 5, title: 'Dune', author: 'Frank Herbert' },
          { __typename: 'Movie', id: 'm2', stars: 5, title: 'Stalker', director: 'Andrei Tarkovsky' },
        ],
      },
    });
    expect(calls).toEqual({ ratings: 1, catalogue: 1 });
  });

  it('resolves union members returned by one subgraph with fields owned by another', async () => {
    const { result, calls } = await gateway.run(unionAcrossSubgraphs.query);
    expect(result).toEqual({ data: unionAcrossSubgraphs.data });
    expect(calls).toEqual({ search: 1, catalogue: 2 });
  });

  // Known gap in @graphql-tools/federation 4.5.2 / stitch 10.3.1: an @interfaceObject field
  // (Media.stars) is never fetched for an object that arrives from a subgraph where its type
  // does not implement the interface (search's Book). ratings is not called at all and the
  // field is null: "Cannot return null for non-nullable field Book.stars." Apollo Router
  // resolves it by sending ratings a `Media` representation, and so does the planner. `it.fails`
  // turns green-to-red when an upgrade fixes stitching, so it can then become a plain `it`.
  (engine === 'stitching' ? it.fails : it)(
    'completes @interfaceObject fields on union members from a subgraph that does not know the interface',
    async () => {
      const { result, calls } = await gateway.run(`{ search(term: "ocean") { ... on Book { id stars } } }`);
      expect(result).toEqual({ data: { search: [{ id: 'b2', stars: 4 }] } });
      expect(calls).toEqual({ search: 1, ratings: 1 });
    },
  );
});
