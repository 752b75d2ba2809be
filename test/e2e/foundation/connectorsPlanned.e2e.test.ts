import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { register } from 'prom-client';
import { createSchema, createYoga } from 'graphql-yoga';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { startProductsSubgraph } from '../../../subgraphs/products/server.js';
import type { RunningSubgraph } from '../../../subgraphs/shared/serveSubgraph.js';
import type { RecordedRequest } from '../../../subgraphs/shared/requestLog.js';
import { gql, repoRoot } from '../../support/portico.js';

// The products source written both ways, each in a BFF of its own, run by the BFF query planner
// (the default engine) in one gateway: the same answers and the same calls at the products
// service, entity lookups from another source included. The in-process twin of this test,
// test/sources/rest/connectorsDifferential.test.ts, runs more queries by stitching.

const FAVOURITES_SDL = 'type Product { id: ID! }\ntype Query { favourites(ids: [ID!]!): [Product]! }\n';

let products: RunningSubgraph;
let favourites: Server;
let portico: Portico;

beforeAll(async () => {
  products = await startProductsSubgraph();
  // A GraphQL source that references products by id only, as orders does.
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: FAVOURITES_SDL,
      resolvers: { Query: { favourites: (_: unknown, args: { ids: string[] }) => args.ids.map((id) => ({ id })) } },
    }),
    logging: false,
  });
  favourites = createServer(yoga);
  await new Promise<void>((resolve) => favourites.listen(0, '127.0.0.1', resolve));
  const favouritesUrl = `http://127.0.0.1:${(favourites.address() as AddressInfo).port}/graphql`;

  const root = await mkdtemp(path.join(tmpdir(), 'portico-connectors-plan-'));
  await writeFile(path.join(root, 'favourites.graphql'), FAVOURITES_SDL);
  const fixtures = path.join(repoRoot, 'test', 'sources', 'rest', 'fixtures');
  await writeFile(
    path.join(root, 'sources.ts'),
    `export default {
  favourites: { kind: 'graphql', url: ${JSON.stringify(favouritesUrl)}, schema: './favourites.graphql' },
  products: { kind: 'rest', baseUrl: ${JSON.stringify(products.url)}, schema: ${JSON.stringify(path.join(fixtures, 'products.rest.graphql'))}, maxBatchSize: 7 },
  connected: { kind: 'rest', baseUrl: ${JSON.stringify(products.url)}, schema: ${JSON.stringify(path.join(fixtures, 'products.connect.graphql'))}, maxBatchSize: 7 },
};\n`,
  );
  for (const [name, source] of [['rest', 'products'], ['connect', 'connected']] as const) {
    await mkdir(path.join(root, 'bffs', name), { recursive: true });
    await writeFile(
      path.join(root, 'bffs', name, 'bff.config.ts'),
      `export default { name: '${name}', port: 0, sources: ['favourites', '${source}'], authz: { defaultPolicy: 'public' } };\n`,
    );
  }
  await writeFile(path.join(root, 'portico.config.ts'), `export default { sources: './sources.ts', bffs: ['./bffs/rest', './bffs/connect'] };\n`);
  const config = await loadConfig(path.join(root, 'portico.config.ts'), { PORTICO_DEMO: '1' });
  portico = await startPortico(config, { logger: pino({ level: 'silent' }) });
}, 120_000);

afterAll(async () => {
  await portico?.close(0);
  await new Promise((resolve) => favourites?.close(resolve));
  await products?.close();
});

async function admin<T>(method: 'GET' | 'POST', what: string): Promise<T> {
  return (await (await fetch(`${products.baseUrl}/__admin/${what}`, { method })).json()) as T;
}

async function observe(bff: string, query: string) {
  await admin('POST', 'reset');
  const url = portico.bffs.find((candidate) => candidate.name === bff)!.url;
  const { status, body } = await gql(url, query);
  const calls = (await admin<RecordedRequest[]>('GET', 'requests')).map((r) => `${r.method} ${r.path}`).sort();
  // The source's name differs between the two BFFs by construction; everything else must not.
  const errors = body.errors?.map((error) => ({ path: error.path, code: error.extensions?.code }));
  return { status, data: body.data, errors, calls };
}

const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `"p${from + i}"`).join(', ');

describe('Apollo Connectors SDL and @rest under the BFF query planner', () => {
  it.each([
    ['one product', '{ product(id: "p3") { id name priceCents } }'],
    ['a page', '{ products(page: 2, pageSize: 5) { page total items { id sku } } }'],
    ['$this below the root', '{ product(id: "p2") { self { id self { name } } } }'],
    ['batched entity lookups with duplicates and an unknown key', '{ favourites(ids: ["p1", "p2", "p1", "nope"]) { id name } }'],
    ['batched lookups split by maxBatchSize', `{ favourites(ids: [${ids(1, 30)}]) { id category } }`],
  ])('%s: same answer, same calls', async (_name, query) => {
    const viaRest = await observe('rest', query);
    const viaConnect = await observe('connect', query);
    expect(viaRest.status).toBe(200);
    expect(viaConnect).toEqual(viaRest);
    expect(viaRest.calls.length).toBeGreaterThan(0);
  });

  it('the 30-key lookup costs 5 batch calls (30 keys, 7 per call)', async () => {
    const { calls, errors } = await observe('connect', `{ favourites(ids: [${ids(1, 30)}]) { id name } }`);
    expect(errors).toBeUndefined();
    expect(calls).toHaveLength(5);
    expect(calls.every((call) => call.startsWith('GET /products?ids='))).toBe(true);
  });

  it('ran every operation of both BFFs by plan, none by stitching', async () => {
    const { values } = await register.getSingleMetric('portico_operations_total')!.get();
    const count = (bff: string, engine: string) => values.find((v) => v.labels.bff === bff && v.labels.engine === engine)?.value ?? 0;
    for (const bff of ['rest', 'connect']) {
      expect(count(bff, 'plan')).toBeGreaterThanOrEqual(5);
      expect(count(bff, 'stitch')).toBe(0);
    }
  });
});
