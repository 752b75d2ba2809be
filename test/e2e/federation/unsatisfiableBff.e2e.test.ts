import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { writeConfigDir } from '../../support/configDir.js';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { gql } from '../../support/portico.js';
import { parsePrometheusText } from '../../support/prometheusText.js';

// A BFF (a federation source plus a BFF resolver, so the BFF planner runs it) over the
// shareable-root subgraphs as real processes: `left` and `right` share `lookup(id:)`, and each
// marks the other's key @external, so `lookup { id }` has no plan through either. The BFF refuses
// such an operation whole, as `portico serve` does (docs/query-planner.md); only a field a BFF
// resolver owns, whose delegation is what cannot be planned, still falls back to stitching.

let fixture: FederationFixture;
let portico: Portico;
let url: string;

const resolversModule = /* TypeScript */ `
export const typeDefs = 'extend type Query { viaResolver(id: ID!): Item }';
export const resolvers = (kit) => ({
  Query: { viaResolver: (_root, args, context, info) => kit.delegate('parts', 'lookup', { id: args.id }, context, info) },
});
`;

beforeAll(async () => {
  fixture = await startFederationFixture('shareableRoot');
  const files = await writeConfigDir({
    name: 'unsatisfiable',
    root: { admin: { port: 0 } },
    bff: { name: 'app', port: 0, sources: ['parts'], resolvers: './resolvers.ts', authz: { defaultPolicy: 'public' } },
  });
  await mkdir(path.join(files.dir, 'supergraphs'), { recursive: true });
  const supergraph = await fixture.writeSupergraphFile(path.join(files.dir, 'supergraphs'));
  await writeFile(path.join(files.dir, 'bffs', 'app', 'resolvers.ts'), resolversModule);
  // No retries and no fallback cache: every call counted is one the plan (or stitching) made.
  const parts = { kind: 'federation', supergraph, resilience: { retry: { maxRetries: 0 }, fallback: { enabled: false } } };
  await writeFile(path.join(files.dir, 'sources.ts'), `export default ${JSON.stringify({ parts })};\n`);
  await writeFile(files.rootFile, `export default ${JSON.stringify({ sources: './sources.ts', bffs: ['./bffs/app'], admin: { port: 0 } })};\n`);
  portico = await startPortico(await loadConfig(files.rootFile, {}), { logger: pino({ level: process.env.DEBUG_LOG ? 'debug' : 'silent' }) });
  url = portico.bffs[0]!.url;
}, 120_000);
afterAll(async () => {
  await portico?.close(0);
  await fixture?.stop();
});

/** Source calls and operations by engine, from the admin listener's /metrics. */
async function counters(): Promise<{ calls: number; plan: number; stitch: number }> {
  const samples = parsePrometheusText(await (await fetch(`${portico.admin!.url}/metrics`)).text());
  const sum = (name: string, labels: Record<string, string> = {}) =>
    samples
      .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
      .reduce((total, sample) => total + sample.value, 0);
  return {
    calls: sum('portico_source_calls_total'),
    plan: sum('portico_operations_total', { bff: 'app', engine: 'plan' }),
    stitch: sum('portico_operations_total', { bff: 'app', engine: 'stitch' }),
  };
}

/** Runs one query; resolves to its answer and what it changed in the counters. */
async function ask(query: string) {
  const before = await counters();
  const { status, body } = await gql(url, query);
  const after = await counters();
  return { status, body, calls: after.calls - before.calls, plan: after.plan - before.plan, stitch: after.stitch - before.stitch };
}

describe('a BFF over a federation source with a field no subgraph can give where it is selected', () => {
  it('refuses the operation whole with QUERY_PLAN_UNSATISFIABLE, data null and no subgraph called, as portico serve does', async () => {
    const answer = await ask('{ lookup(id: "t1") { id } }');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      data: null,
      errors: [expect.objectContaining({ message: 'No subgraph can resolve a field this query selects, where it selects it.', extensions: expect.objectContaining({ code: 'QUERY_PLAN_UNSATISFIABLE', plan: { field: 'Part.id' } }) })],
    });
    expect(answer.calls).toBe(0);
    expect(answer.stitch).toBe(0);
  });

  it('refuses it whole beside a root field a resolver owns: nothing is called for either', async () => {
    const answer = await ask('{ viaResolver(id: "t1") { __typename } lookup(id: "t1") { id } }');
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['QUERY_PLAN_UNSATISFIABLE']);
    expect(answer.calls).toBe(0);
  });

  it('still plans what a subgraph can give: one call to left, by plan', async () => {
    const answer = await ask('{ lookup(id: "t1") { ... on Tool { name } } }');
    expect(answer.body).toEqual({ data: { lookup: { name: 'Hammer' } } });
    expect(answer).toMatchObject({ status: 200, calls: 1, plan: 1, stitch: 0 });
  });

  it("hands a resolver's unplannable delegation to stitching, not a refusal: the resolver owns that field", async () => {
    const answer = await ask('{ viaResolver(id: "t1") { id } }');
    // Stitching's own answer for this shape (@graphql-tools/federation finds no route for `id`
    // either): an error at the resolver's path only, not the planner's refusal of the operation.
    expect(answer.status).toBe(200);
    expect(answer.body.errors?.map((error) => [error.path, error.extensions?.['code']])).toEqual([[['viaResolver'], 'SUBGRAPH_ERROR']]);
    expect(answer).toMatchObject({ plan: 0, stitch: 1 });
    const text = await (await fetch(`${portico.admin!.url}/metrics`)).text();
    expect(text).toMatch(/portico_plan_fallbacks_total\{bff="app",reason="[a-z_]+"\} 1\n/);
  });
});
