import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { federationGateway, type FederationGateway } from './federationGateway.js';
import { interfaceObject, unionAcrossSubgraphs } from '../../fixtures/federation/expectations.js';

// catalogue owns the entity interface Media (Book, Movie); ratings adds `stars` to Media through
// @interfaceObject; search returns a union of Book, Movie and its own Person
// (test/fixtures/federation/media/).
let fixture: FederationFixture;
let gateway: FederationGateway;

beforeAll(async () => {
  fixture = await startFederationFixture('media');
  gateway = federationGateway(fixture.supergraphSdl);
});

afterAll(async () => {
  await gateway?.close();
  await fixture?.stop();
});

describe('abstract types across subgraphs (media)', () => {
  it('completes an entity interface with fields from the subgraph that extends it via @interfaceObject', async () => {
    const { result, calls } = await gateway.run(interfaceObject.query);
    expect(result).toEqual({ data: interfaceObject.data });
    expect(calls).toEqual({ catalogue: 1, ratings: 1 });
  });

  it('asks the interface owner for the concrete type of objects an @interfaceObject subgraph returns', async () => {
    // ratings only knows "Media"; __typename and the Book/Movie fragments need catalogue.
    const { result, calls } = await gateway.run(/* GraphQL */ `
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
    `);
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
    const { result } = await gateway.run(unionAcrossSubgraphs.query);
    expect(result).toEqual({ data: unionAcrossSubgraphs.data });
  });

  // Known gap in @graphql-tools/federation 4.5.2 / stitch 10.3.1: an @interfaceObject field
  // (Media.stars) is never fetched for an object that arrives from a subgraph where its type
  // does not implement the interface (search's Book). ratings is not called at all and the
  // field is null: "Cannot return null for non-nullable field Book.stars." Apollo Router
  // resolves it by sending ratings a `Media` representation. `it.fails` turns green-to-red when
  // an upgrade fixes it, so this expectation can then become a plain `it`.
  it.fails('completes @interfaceObject fields on union members from a subgraph that does not know the interface', async () => {
    const { result } = await gateway.run(`{ search(term: "ocean") { ... on Book { id stars } } }`);
    expect(result).toEqual({ data: { search: [{ id: 'b2', stars: 4 }] } });
  });
});
