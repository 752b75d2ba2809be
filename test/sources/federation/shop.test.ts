import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSupergraphFile } from '../../../src/sources/federation/buildSupergraphSchema.js';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { ENGINES, federationGateway, type FederationGateway } from './federationGateway.js';
import { entityAcrossSubgraphs, requiresFields } from '../../fixtures/federation/expectations.js';

// accounts, products, reviews and inventory (test/fixtures/federation/shop/), served over real
// HTTP and read back from a supergraph file, as `portico serve --supergraph FILE` does.
let fixture: FederationFixture;
let supergraphSdl: string;
let tempDir: string;

beforeAll(async () => {
  fixture = await startFederationFixture('shop');
  tempDir = await mkdtemp(join(tmpdir(), 'portico-shop-'));
  supergraphSdl = await readSupergraphFile(await fixture.writeSupergraphFile(tempDir));
});

afterAll(async () => {
  await fixture?.stop();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

// Both engines give the same answers with the same subgraph calls; the planner plans every
// query here itself (no fallback to stitching).
describe.each(ENGINES)('a supergraph of four subgraphs (shop), executed by %s', (engine) => {
  let federation: FederationGateway;
  beforeAll(() => {
    federation = federationGateway(supergraphSdl, engine);
  });
  afterAll(() => federation?.close());
  const gateway = {
    get schema() {
      return federation.schema;
    },
    async run(query: string) {
      const outcome = await federation.run(query);
      expect(federation.fallbacks).toEqual([]);
      return outcome;
    },
  };

  it('resolves one entity across accounts, reviews, products and inventory in one query', async () => {
    const { result } = await gateway.run(entityAcrossSubgraphs.query);
    expect(result).toEqual({ data: entityAcrossSubgraphs.data });
  });

  it('sends the @requires fields (price, weight) to inventory without the client asking for them', async () => {
    const { result, calls } = await gateway.run(requiresFields.query);
    expect(result).toEqual({ data: requiresFields.data });
    expect(calls).toEqual({ products: 1, inventory: 1 });
  });

  it('takes @provides fields from the providing subgraph: review authors need no call to accounts', async () => {
    const { result, calls } = await gateway.run(`{ topReviews(first: 3) { body author { username } } }`);
    expect(result).toEqual({
      data: {
        topReviews: [
          { body: 'Love it!', author: { username: 'ada' } },
          { body: 'Too expensive.', author: { username: 'ada' } },
          { body: 'Could be better.', author: { username: 'alan' } },
        ],
      },
    });
    expect(calls).toEqual({ reviews: 1 });
  });

  it('fetches fields an author does not provide (name) from accounts, once for all reviews', async () => {
    const { result, calls } = await gateway.run(`{ topReviews(first: 3) { author { name } } }`);
    expect(result).toEqual({
      data: {
        topReviews: [
          { author: { name: 'Ada Lovelace' } },
          { author: { name: 'Ada Lovelace' } },
          { author: { name: 'Alan Turing' } },
        ],
      },
    });
    expect(calls).toEqual({ reviews: 1, accounts: 1 });
  });

  it('answers a @shareable field from whichever subgraph already holds the object', async () => {
    const { result, calls } = await gateway.run(`{ topReviews(first: 2) { product { name } } }`);
    expect(result).toEqual({
      data: { topReviews: [{ product: { name: 'Table' } }, { product: { name: 'Couch' } }] },
    });
    expect(calls).toEqual({ reviews: 1 });
  });

  it('routes an @override field to the subgraph that took it over, not the one it came from', async () => {
    // products still resolves inStock, always false; only inventory says p1 and p3 are in stock.
    const { result, calls } = await gateway.run(`{ topProducts { upc inStock } }`);
    expect(result).toEqual({
      data: {
        topProducts: [
          { upc: 'p1', inStock: true },
          { upc: 'p2', inStock: false },
          { upc: 'p3', inStock: true },
        ],
      },
    });
    expect(calls).toEqual({ products: 1, inventory: 1 });
  });

  it('hides @inaccessible fields from the schema and refuses queries for them before calling a subgraph', async () => {
    expect(gateway.schema.getType('User')?.toConfig()).not.toHaveProperty('fields.email');
    const { result, calls } = await gateway.run(`{ me { email } }`);
    expect(result).toEqual({
      errors: [
        expect.objectContaining({ message: 'Cannot query field "email" on type "User".' }),
      ],
    });
    expect(calls).toEqual({});
  });

  it('exposes no federation internals (_entities, _Any, join__*) to clients', () => {
    expect(gateway.schema.getQueryType()?.getFields()).not.toHaveProperty('_entities');
    const internal = Object.keys(gateway.schema.getTypeMap()).filter((name) =>
      /^(_Any|_Entity|_Service|join__|link__)/.test(name),
    );
    expect(internal).toEqual([]);
  });
});
