import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createYoga } from 'graphql-yoga';
import { pino } from 'pino';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../src/runtime/startPortico.js';
import { composeSupergraph } from '../../src/sources/federation/composeSupergraph.js';
import { buildFixtureSchema } from '../fixtures/federation/fixtureSubgraph.js';
import { overrideAt } from '../fixtures/federation/shapes/override.js';
import { gql } from '../support/portico.js';

// Progressive `@override(label: "percent(N)")` when the supergraph is one source of a BFF run by
// the BFF planner (`engine: 'plan'`, a rename makes it more than a supergraph-only BFF), not only
// under `portico serve`: `Movie.title` comes from `modern` at percent(100) and from `legacy` at
// percent(0). Each subgraph answers in its own words, so the answer shows who resolved it. The
// subgraphs are served over real HTTP on loopback.

const servers: Server[] = [];
let portico: Portico;

async function serve(subgraph: ReturnType<typeof overrideAt>[number]): Promise<string> {
  const yoga = createYoga({ schema: buildFixtureSchema(subgraph), graphqlEndpoint: '/graphql', maskedErrors: false, logging: false, graphiql: false });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

beforeAll(async () => {
  // The label lives in the supergraph, not in how a subgraph answers: one set of servers serves both.
  const urls = new Map<string, string>();
  for (const subgraph of overrideAt(100)) urls.set(subgraph.name, await serve(subgraph));
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-override-'));
  const sources: Record<string, unknown> = {};
  for (const percent of [100, 0]) {
    const file = path.join(dir, `media${percent}.graphql`);
    await writeFile(file, composeSupergraph(overrideAt(percent).map((s) => ({ name: s.name, url: urls.get(s.name)!, sdl: s.sdl }))));
    sources[`media${percent}`] = { kind: 'federation', supergraph: file };
  }
  await writeFile(path.join(dir, 'sources.ts'), `export default ${JSON.stringify(sources)};\n`);
  for (const percent of [100, 0]) {
    const bff = { name: `app${percent}`, port: 0, sources: [`media${percent}`], engine: 'plan', rename: { 'Book.title': 'headline' }, authz: { defaultPolicy: 'public' } };
    await mkdir(path.join(dir, 'bffs', `app${percent}`), { recursive: true });
    await writeFile(path.join(dir, 'bffs', `app${percent}`, 'bff.config.ts'), `export default ${JSON.stringify(bff)};\n`);
  }
  const rootFile = path.join(dir, 'portico.config.ts');
  await writeFile(rootFile, `export default ${JSON.stringify({ sources: './sources.ts', bffs: ['./bffs/app100', './bffs/app0'] })};\n`);
  portico = await startPortico(await loadConfig(rootFile, {}), { logger: pino({ level: 'silent' }) });
}, 60_000);
afterAll(async () => {
  await portico?.close(0);
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function planned(bff: string): Promise<number> {
  const { values } = await register.getSingleMetric('portico_operations_total')!.get();
  return values.filter((value) => value.labels['bff'] === bff && value.labels['engine'] === 'plan').reduce((sum, value) => sum + value.value, 0);
}

describe('progressive @override in a BFF run by plan', () => {
  it.each([
    [100, 'modern m1'],
    [0, 'legacy m1'],
  ])('at percent(%i), every request takes Movie.title from the subgraph the label says', async (percent, title) => {
    const url = portico.bffs.find((bff) => bff.name === `app${percent}`)!.url;
    const before = await planned(`app${percent}`);
    for (let i = 0; i < 10; i++) {
      const { status, body } = await gql(url, '{ items { id ... on Movie { title } ... on Book { headline } } }');
      expect(status).toBe(200);
      expect(body).toEqual({ data: { items: [{ id: 'b1', headline: 'modern b1' }, { id: 'm1', title }] } });
    }
    // By plan, not by stitching's fallback.
    expect(await planned(`app${percent}`)).toBe(before + 10);
  });
});
