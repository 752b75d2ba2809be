import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { gql } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { scenarios } from '../../fixtures/federation/scenarios.js';

// Issue 21: `portico compose` over the demo's orders subgraph (a real process, read live through
// `_service { sdl }`) and two test subgraphs (test/fixtures/federation/orderExtensions: reviews
// from its SDL file with a routing URL, shipping live) gives a supergraph that `portico serve`
// answers real queries from, every process real.

const CLI_TIMEOUT_MS = 90_000;
let dir: string;
let orders: SubgraphHandle;
let extensions: FederationFixture;
let gateway: CliProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-compose-'));
  [orders, extensions] = await Promise.all([startSubgraph('orders'), startFederationFixture('orderExtensions')]);
}, CLI_TIMEOUT_MS);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([orders?.release(), extensions?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const sdlOf = (name: string) => scenarios.orderExtensions.find((subgraph) => subgraph.name === name)!.sdl;

describe('portico compose (issue 21)', () => {
  it('composes live and file subgraphs into a supergraph that portico serve answers queries from', async () => {
    const reviewsFile = path.join(dir, 'reviews.graphql');
    await writeFile(reviewsFile, sdlOf('reviews'));
    const out = path.join(dir, 'supergraph.graphql');
    const compose = runPortico([
      'compose',
      '--subgraph', `orders=${orders.url}`,
      '--subgraph', `reviews=${reviewsFile}@${extensions.urls['reviews']!}`,
      '--subgraph', `shipping=${extensions.urls['shipping']!}`,
      '--out', out,
    ]);
    const composed = await compose.exited;
    expect(composed.code, composed.stderr).toBe(0);
    expect(composed.stdout).toMatch(/wrote the supergraph of orders, reviews, shipping/);
    const supergraph = await readFile(out, 'utf8');
    // The routing URLs are the ones given: the file subgraph's after "@", the live ones' own.
    for (const url of [orders.url, extensions.urls['reviews']!, extensions.urls['shipping']!]) expect(supergraph).toContain(`url: "${url}"`);

    gateway = runPortico(['serve', '--supergraph', out, '--port', '0']);
    const url = (await gateway.waitForLine(/^supergraph (\S+)$/, CLI_TIMEOUT_MS))[1]!;
    const { status, body } = await gql(
      url,
      '{ order(id: "o2") { id status reviews { stars text } shipment { carrier trackingId } } orders(first: 3) { id shipment { carrier } } reviewCount carriers }',
    );
    expect(status).toBe(200);
    // Worked out by hand: o2 is PAID in the demo seed (statuses cycle PENDING, PAID, …); reviews
    // give order k ((k - 1) mod 5) + 1 stars; shipping sends odd orders by DHL, even ones by UPS.
    expect(body).toEqual({
      data: {
        order: { id: 'o2', status: 'PAID', reviews: [{ stars: 2, text: 'review of o2' }], shipment: { carrier: 'UPS', trackingId: 'T-o2' } },
        orders: [
          { id: 'o1', shipment: { carrier: 'DHL' } },
          { id: 'o2', shipment: { carrier: 'UPS' } },
          { id: 'o3', shipment: { carrier: 'DHL' } },
        ],
        reviewCount: 100,
        carriers: ['DHL', 'UPS'],
      },
    });
    // Each subgraph really was called: orders for the orders, the extensions for their fields.
    expect((await orders.stats()).requests).toBeGreaterThan(0);
  }, CLI_TIMEOUT_MS * 2);

  it('exits 1 with composition errors that name the subgraph and the type', async () => {
    const broken = path.join(dir, 'broken.graphql');
    await writeFile(broken, sdlOf('shipping').replace('@key(fields: "id")', '@key(fields: "number")'));
    const { code, stderr } = await runPortico([
      'compose',
      '--subgraph', `orders=${orders.url}`,
      '--subgraph', `shipping=${broken}@http://127.0.0.1:9/graphql`,
    ]).exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/\[shipping\] On type "Order", for @key\(fields: "number"\)/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, CLI_TIMEOUT_MS);

  it('exits 2 for a file subgraph without a routing URL, and 1 for a subgraph it cannot reach', async () => {
    const [usage, unreachable] = await Promise.all([
      runPortico(['compose', '--subgraph', `reviews=${path.join(dir, 'reviews.graphql')}`]).exited,
      runPortico(['compose', '--subgraph', 'gone=http://127.0.0.1:9/graphql']).exited,
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/needs @ROUTING_URL/);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/subgraph gone: http:\/\/127\.0\.0\.1:9\/graphql: unreachable/);
  }, CLI_TIMEOUT_MS);
});
