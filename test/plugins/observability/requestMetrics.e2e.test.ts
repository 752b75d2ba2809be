import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, repoRoot, startTestPortico, type TestPortico } from '../../support/portico.js';
import { parsePrometheusText, type Sample } from '../../support/prometheusText.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

const SECRET = 'request-metrics-test-secret-0123456789';
const MAX_NAMES = 25;
// Over real sockets; the plugin test below sends 10,000 through the engine directly.
const DISTINCT_NAMES = 200;
const CONCURRENCY = 32;

let users: SubgraphHandle;
let portico: TestPortico;
let bearer: string;

beforeAll(async () => {
  users = await startSubgraph('users');
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-metrics-'));
  await mkdir(path.join(dir, 'bffs', 'app'), { recursive: true });
  await writeFile(
    path.join(dir, 'bffs', 'app', 'bff.config.ts'),
    `export default ${JSON.stringify({
      name: 'app',
      port: 0,
      sources: ['users'],
      auth: { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: 'metrics-test', audience: 'app' } },
    })};\n`,
  );
  await writeFile(
    path.join(dir, 'portico.config.ts'),
    `export default ${JSON.stringify({
      sources: path.join(repoRoot, 'schemas/sources.ts'),
      bffs: ['./bffs/app'],
      admin: { port: 0 },
      metrics: { maxOperationNames: MAX_NAMES },
    })};\n`,
  );
  portico = await startTestPortico({ users }, { config: path.join(dir, 'portico.config.ts') });
  bearer = await new SignJWT({ scope: 'users:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('metrics-test')
    .setAudience('app')
    .setSubject('u1')
    .setJti(randomUUID())
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
});
afterAll(async () => {
  await portico?.close(0);
  await users?.release();
});

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`${portico.admin!.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

/** Sends `total` requests, `CONCURRENCY` at a time, scraping /metrics every `scrapeEvery`. */
async function load(total: number, body: (i: number) => string, scrapeEvery: number) {
  const url = portico.bff('app').url;
  const statuses = new Map<number, number>();
  const scrapes: Promise<Sample[]>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        if (i % scrapeEvery === 0) scrapes.push(scrape());
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${bearer}` },
          body: body(i),
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  return { statuses, scrapes: await Promise.all(scrapes) };
}

const appSamples = (samples: Sample[], name: string) => samples.filter((sample) => sample.name === name && sample.labels.bff === 'app');

describe('/metrics on the admin port', () => {
  it('serves valid Prometheus text with request, error, source and process series while under load', async () => {
    const { statuses, scrapes } = await load(100, (i) => JSON.stringify({ query: `query Profile { user(id: "u${(i % 3) + 1}") { name } }` }), 20);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 100 });
    expect(scrapes.length).toBe(5);
    expect((await gql(portico.bff('app').url, '{ nope }', undefined, { authorization: `Bearer ${bearer}` })).status).toBe(400);

    const samples = await scrape();
    const requests = appSamples(samples, 'portico_requests_total');
    expect(requests.find((s) => s.labels.operation === 'Profile' && s.labels.status === '200')?.value).toBe(100);
    const count = appSamples(samples, 'portico_request_duration_seconds_count').find((s) => s.labels.operation === 'Profile');
    expect(count?.value).toBe(100);
    expect(appSamples(samples, 'portico_requests_in_flight')[0]?.value).toBe(0);
    expect(appSamples(samples, 'portico_graphql_errors_total').find((s) => s.labels.code === 'GRAPHQL_VALIDATION_FAILED')?.value).toBe(1);
    const names = new Set(samples.map((sample) => sample.name));
    for (const series of [
      // per source (transport), process and event loop (prom-client defaults)
      'portico_source_calls_total',
      'portico_source_call_duration_seconds_bucket',
      'portico_source_breaker_state',
      'nodejs_eventloop_lag_seconds',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(names, series).toContain(series);
    }
  });

  it(`keeps the operation label bounded when clients send ${DISTINCT_NAMES.toLocaleString('en')} distinct operation names`, async () => {
    const before = await scrape();
    const seriesBefore = before.length;
    const { statuses, scrapes } = await load(DISTINCT_NAMES, (i) => JSON.stringify({ query: `query Op${i} { __typename }` }), 100);
    expect(Object.fromEntries(statuses)).toEqual({ 200: DISTINCT_NAMES });
    expect(scrapes.length).toBe(DISTINCT_NAMES / 100);

    const after = await scrape();
    const operations = new Set(appSamples(after, 'portico_requests_total').map((sample) => sample.labels.operation));
    // The budget (Profile from the first test took one name), plus the fold-all value.
    expect(operations.size).toBeLessThanOrEqual(MAX_NAMES + 1);
    expect(operations).toContain('__other__');
    const admitted = [...operations].filter((name) => name !== '__other__' && name !== 'Profile');
    expect(admitted).toHaveLength(MAX_NAMES - 1);
    const folded = appSamples(after, 'portico_operation_names_folded_total')[0]?.value;
    expect(folded).toBe(DISTINCT_NAMES - admitted.length);
    const total = appSamples(after, 'portico_requests_total').filter((s) => s.labels.operation !== 'Profile' && s.labels.status === '200').reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(DISTINCT_NAMES);
    // The whole exposition grew by a bounded number of series, not by thousands.
    expect(after.length - seriesBefore).toBeLessThan(30 * (MAX_NAMES + 1));
  });
});
