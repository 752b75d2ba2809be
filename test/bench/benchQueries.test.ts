import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { graphql } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEDERATION_QUERY, SINGLE_SUBGRAPH_QUERY } from '../../bench/queries.js';
import { referenceSchema } from '../../bench/subgraphs/schemas.js';
import { writeBenchSupergraph } from '../../bench/lib/supergraph.js';
import { serveSupergraph, type ServedSupergraph } from '../../src/runtime/serveSupergraph.js';
import { gql, repoRoot } from '../support/portico.js';

// The bench is only worth its figures if the gateways answer its queries right. This runs the
// bench's own subgraph process and `portico serve` on its supergraph, and checks both queries
// against the plain (unfederated) reference schema the bench checks every response against.
describe('bench queries', () => {
  let child: ReturnType<typeof spawn>;
  let urls: Record<string, string>;
  let gateway: ServedSupergraph;
  let dir: string;

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'bench/subgraphs/server.ts'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    urls = await new Promise((resolve, reject) => {
      lines.on('line', (line) => line.startsWith('READY ') && resolve(JSON.parse(line.slice('READY '.length))));
      child.once('exit', (code) => reject(new Error(`bench subgraphs exited with ${code}`)));
    });
    dir = await mkdtemp(path.join(tmpdir(), 'bench-queries-'));
    const file = await writeBenchSupergraph(dir, urls);
    // At `serve`'s defaults: a first-time user must not need --max-cost for this query (issue 17).
    gateway = await serveSupergraph({ file, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await gateway?.close(0);
    child?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const expected = async (query: string) => (await graphql({ schema: referenceSchema(), source: query })).data;

  it('answers the federation benchmark query through portico serve exactly as the reference schema does', async () => {
    const response = await gql(gateway.url, FEDERATION_QUERY);
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual(JSON.parse(JSON.stringify(await expected(FEDERATION_QUERY))));
  });

  it('answers the single-subgraph query the same through the gateway and straight from the products subgraph', async () => {
    const want = JSON.parse(JSON.stringify(await expected(SINGLE_SUBGRAPH_QUERY)));
    expect((await gql(gateway.url, SINGLE_SUBGRAPH_QUERY)).body).toEqual({ data: want });
    expect((await gql(urls.products!, SINGLE_SUBGRAPH_QUERY)).body).toEqual({ data: want });
  });

  it('refuses at serve\'s defaults a query one nested list deeper than the benchmark\'s, with COST_LIMIT_EXCEEDED (issue 17)', async () => {
    // users → reviews → product.reviews → author.reviews → product.reviews: five nested lists of
    // 10 assumed items each price at 122 210, over serve's default 50 000 (docs/serve.md).
    const deeper = '{ users { reviews { product { reviews { author { reviews { product { reviews { id } } } } } } } } }';
    const response = await gql(gateway.url, deeper);
    expect(response.status).toBe(400);
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', cost: { estimated: 122_210, max: 50_000 } });
  });
});
