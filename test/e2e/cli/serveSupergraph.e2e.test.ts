import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { gql } from '../../support/portico.js';

// `portico serve --supergraph FILE` in front of two federations composed from real subgraph
// processes; the schema-level behaviour is specified in test/sources/federation.
const fixtures: FederationFixture[] = [];
const gateways: CliProcess[] = [];
const urls: Record<string, string> = {};

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-serve-'));
  for (const scenario of ['shop', 'media'] as const) {
    const fixture = await startFederationFixture(scenario);
    fixtures.push(fixture);
    const file = await fixture.writeSupergraphFile(dir);
    const gateway = runPortico(['serve', '--supergraph', file, '--port', '0']);
    gateways.push(gateway);
    urls[scenario] = (await gateway.waitForLine(/^supergraph (\S+)$/))[1]!;
  }
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await Promise.all(fixtures.map((fixture) => fixture.stop()));
});

describe('portico serve --supergraph', () => {
  it('resolves one entity across several subgraphs', async () => {
    const { body } = await gql(urls.shop!, '{ me { name reviews { body product { name price inStock } } } }');
    expect(body).toEqual({
      data: {
        me: {
          name: 'Ada Lovelace',
          reviews: [
            { body: 'Love it!', product: { name: 'Table', price: 899, inStock: true } },
            { body: 'Too expensive.', product: { name: 'Couch', price: 1299, inStock: false } },
          ],
        },
      },
    });
  });

  it('resolves @requires fields', async () => {
    const { body } = await gql(urls.shop!, '{ topProducts { upc shippingEstimate } }');
    expect(body).toEqual({
      data: { topProducts: [{ upc: 'p1', shippingEstimate: 50 }, { upc: 'p2', shippingEstimate: 0 }, { upc: 'p3', shippingEstimate: 25 }] },
    });
  });

  it('resolves an entity interface completed by an @interfaceObject subgraph', async () => {
    const { body } = await gql(urls.media!, '{ media { __typename id title stars ... on Book { author } ... on Movie { director } } }');
    expect(body).toEqual({
      data: {
        media: [
          { __typename: 'Book', id: 'b1', title: 'Dune', stars: 5, author: 'Frank Herbert' },
          { __typename: 'Movie', id: 'm1', title: 'Arrival', stars: 4, director: 'Denis Villeneuve' },
          { __typename: 'Book', id: 'b2', title: 'Solaris', stars: 4, author: 'Stanisław Lem' },
          { __typename: 'Movie', id: 'm2', title: 'Stalker', stars: 5, director: 'Andrei Tarkovsky' },
        ],
      },
    });
  });

  it('resolves a union whose members come from different subgraphs', async () => {
    const { body } = await gql(
      urls.media!,
      '{ search(term: "planet") { __typename ... on Book { id title author } ... on Movie { id title director } ... on Person { name } } }',
    );
    expect(body).toEqual({
      data: {
        search: [
          { __typename: 'Book', id: 'b2', title: 'Solaris', author: 'Stanisław Lem' },
          { __typename: 'Movie', id: 'm1', title: 'Arrival', director: 'Denis Villeneuve' },
          { __typename: 'Person', name: 'Stanisław Lem' },
        ],
      },
    });
  });

  it('exits with a clear message naming the file when it is not a supergraph', async () => {
    const gateway = runPortico(['serve', '--supergraph', 'schemas/users.graphql', '--port', '0']);
    const { code, stderr } = await gateway.exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/schemas\/users\.graphql: not a supergraph/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
