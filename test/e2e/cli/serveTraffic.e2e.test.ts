import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConfigError } from '../../../src/config/configError.js';
import { serveSupergraph } from '../../../src/runtime/serveSupergraph.js';
import { composeSupergraph } from '../../../src/sources/federation/composeSupergraph.js';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { gql, repoRoot } from '../../support/portico.js';
import { parsePrometheusText } from '../../support/prometheusText.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// `portico serve --supergraph F --traffic T` in front of a one-subgraph federation whose users
// subgraph runs as three real processes: stable, canary (a header rule sends testers there) and
// shadow (every read copied to it). Where each call lands is counted at each process.

const QUERY = '{ user(id: "u1") { id name } }';
const ANSWER = { data: { user: { id: 'u1', name: 'Ada Lovelace' } } };

let stable: SubgraphHandle;
let canary: SubgraphHandle;
let shadow: SubgraphHandle;
let dir: string;
let supergraphFile: string;
let trafficFile: string;
let gateway: CliProcess;
let url: string;
let metricsUrl: string;

const traffic = (rules: unknown[]) => ({
  users: {
    versions: { stable: stable.url, canary: canary.url, shadow: shadow.url },
    rules,
    mirror: { version: 'shadow', percent: 100, logSampleRate: 0 },
  },
});
const CANARY_BY_HEADER = [{ version: 'canary', when: { header: { name: 'X-Version', equals: 'canary' } } }];

beforeAll(async () => {
  [stable, canary, shadow] = await Promise.all([startSubgraph('users'), startSubgraph('users'), startSubgraph('users')]);
  dir = await mkdtemp(path.join(tmpdir(), 'portico-serve-traffic-'));
  supergraphFile = path.join(dir, 'supergraph.graphql');
  await writeFile(supergraphFile, composeSupergraph([{ name: 'users', url: stable.url, sdl: await readFile(path.join(repoRoot, 'schemas/users.graphql'), 'utf8') }]));
  trafficFile = path.join(dir, 'traffic.json');
  await writeFile(trafficFile, JSON.stringify(traffic(CANARY_BY_HEADER)));
  gateway = runPortico(['serve', '--supergraph', supergraphFile, '--port', '0', '--admin-port', '0', '--traffic', trafficFile]);
  url = (await gateway.waitForLine(/^supergraph (\S+)$/, 60_000))[1]!;
  metricsUrl = (await gateway.waitForLine(/^metrics (\S+)$/, 60_000))[1]!;
}, 120_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([stable?.stop(), canary?.stop(), shadow?.stop()]);
});

const requests = async (handle: SubgraphHandle) => (await handle.stats()).requests;

/** `portico_mirror_requests_total` of the users subgraph's shadow, by result, from the admin port. */
async function mirrorResults(): Promise<Record<string, number>> {
  const samples = parsePrometheusText(await (await fetch(metricsUrl)).text());
  return Object.fromEntries(
    samples
      .filter((sample) => sample.name === 'portico_mirror_requests_total' && sample.labels['source'] === 'supergraph/users' && sample.labels['version'] === 'shadow' && sample.value > 0)
      .map((sample) => [sample.labels['result']!, sample.value]),
  );
}

describe('portico serve --traffic', () => {
  it('routes by the header rule exactly, copies every read to the shadow, and the client gets the served answer', async () => {
    for (let i = 0; i < 12; i++) expect((await gql(url, QUERY)).body).toEqual(ANSWER);
    for (let i = 0; i < 8; i++) expect((await gql(url, QUERY, undefined, { 'x-version': 'canary' })).body).toEqual(ANSWER);
    expect(await requests(stable)).toBe(12);
    expect(await requests(canary)).toBe(8);
    // Copies go out after the served call: wait for all 20 to arrive, then for their comparison.
    await shadow.waitForStats((stats) => stats.requests === 20, 30_000);
    // Compared once both answers are in: polled (each scrape a round trip), not slept on.
    let compared: Record<string, number> = {};
    for (let tries = 0; (compared['equal'] ?? 0) < 20; tries++) {
      if (tries > 300) throw new Error(`the copies were not all compared: ${JSON.stringify(compared)}`);
      compared = await mirrorResults();
    }
    expect(compared).toEqual({ equal: 20 });
    const readyz = (await (await fetch(new URL('/readyz', url))).json()) as { sources: Record<string, { version?: { state: string } }> };
    expect(Object.keys(readyz.sources).filter((name) => name.startsWith('supergraph/users@')).sort()).toEqual(['supergraph/users@canary', 'supergraph/users@shadow', 'supergraph/users@stable']);
  }, 120_000);

  it('re-reads the traffic file on SIGHUP: a rule added there applies without a restart', async () => {
    const before = { stable: await requests(stable), canary: await requests(canary) };
    await writeFile(trafficFile, JSON.stringify(traffic([{ version: 'canary', when: { header: { name: 'x-tester', equals: '1' } } }])));
    gateway.child.kill('SIGHUP');
    // The reload is done when the new rule routes; until then the old one (no such header) sends to stable.
    let sent = 0;
    while ((await requests(canary)) === before.canary) {
      if (sent++ > 200) throw new Error('the reloaded rule never applied');
      expect((await gql(url, QUERY, undefined, { 'x-tester': '1' })).body).toEqual(ANSWER);
    }
    const atReload = { stable: await requests(stable), canary: await requests(canary) };
    for (let i = 0; i < 5; i++) expect((await gql(url, QUERY, undefined, { 'x-tester': '1' })).body).toEqual(ANSWER);
    // The old header no longer routes: it lands on stable.
    for (let i = 0; i < 3; i++) expect((await gql(url, QUERY, undefined, { 'x-version': 'canary' })).body).toEqual(ANSWER);
    expect(await requests(canary)).toBe(atReload.canary + 5);
    expect(await requests(stable)).toBe(atReload.stable + 3);
  }, 120_000);

  it('refuses a traffic file with a mistake, naming the file and the key (exit 78)', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ users: { versions: { stable: stable.url, canary: canary.url }, weights: { stable: 90, canary: 5 } } }));
    const { code, stderr } = await runPortico(['serve', '--supergraph', supergraphFile, '--port', '0', '--traffic', bad]).exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/bad\.json: users\.weights: weights must sum to 100/);
    // The same loading in-process (a process start each costs seconds): it throws before anything listens.
    const cases: [string, unknown, RegExp][] = [
      ['typo.json', { user: { versions: { stable: stable.url } } }, /typo\.json: user: no subgraph named "user" in the supergraph \(subgraphs: users\)/],
      ['unknown-key.json', { users: { versions: { stable: stable.url }, mirorr: {} } }, /unknown-key\.json: users: .*"mirorr"/],
      ['broken.json', '{ "users": ', /broken\.json: not valid JSON/],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(dir, name);
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
      const serving = serveSupergraph({ file: supergraphFile, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), trafficFile: file });
      await expect(serving).rejects.toThrow(ConfigError);
      await expect(serving).rejects.toThrow(message);
    }
  }, 120_000);
});
