import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { writeConfigDir } from '../../support/configDir.js';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { gql } from '../../support/portico.js';
import { parsePrometheusText } from '../../support/prometheusText.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// The query planner's bounds set per BFF in its config (`planner`) and on `portico serve`'s
// flags (docs/query-planner.md, "Limits"): a value given takes effect, a bad one stops start-up
// naming the key (or the flag).
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-planner-options-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a BFF\'s planner options from its config (the BFF planner: users and orders)', () => {
  let users: SubgraphHandle;
  let orders: SubgraphHandle;
  let portico: Portico;
  let url: string;
  beforeAll(async () => {
    [users, orders] = await Promise.all([startSubgraph('users'), startSubgraph('orders')]);
    const files = await writeConfigDir({
      name: 'planner-budget',
      bff: { name: 'app', port: 0, sources: ['users', 'orders'], authz: { defaultPolicy: 'public' }, planner: { planBudget: { maxFields: 2 } } },
    });
    portico = await startPortico(await loadConfig(files.rootFile, { USERS_URL: users.url, ORDERS_URL: orders.url }), { logger: pino({ level: 'silent' }) });
    url = portico.bffs[0]!.url;
  });
  afterAll(async () => {
    await portico?.close(0);
    await Promise.all([users?.release(), orders?.release()]);
  });

  it('refuses an operation over planner.planBudget.maxFields with QUERY_PLAN_TOO_LARGE before any source is called', async () => {
    await Promise.all([users.reset(), orders.reset()]);
    const response = await gql(url, '{ user(id: "u1") { id name } }');
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors?.map((error) => [error.extensions?.code, error.extensions?.plan])).toEqual([['QUERY_PLAN_TOO_LARGE', { limit: 'fields', max: 2 }]]);
    expect((await users.stats()).requests).toBe(0);
    expect((await orders.stats()).requests).toBe(0);
  });

  it('answers an operation within it', async () => {
    await users.reset();
    const response = await gql(url, '{ user(id: "u1") { id } }');
    expect(response.body).toEqual({ data: { user: { id: 'u1' } } });
    expect((await users.stats()).requests).toBe(1);
  });
});

describe('portico serve --plan-max-fields (the federation planner)', () => {
  let fixture: FederationFixture;
  let gateway: CliProcess;
  let url: string;
  let metricsUrl: string;
  beforeAll(async () => {
    fixture = await startFederationFixture('joinFields');
    const file = await fixture.writeSupergraphFile(dir);
    gateway = runPortico(['serve', '--supergraph', file, '--port', '0', '--admin-port', '0', '--plan-max-fields', '2', '--plan-cache-entries', '10']);
    url = (await gateway.waitForLine(/^supergraph (\S+)$/))[1]!;
    metricsUrl = (await gateway.waitForLine(/^metrics (\S+)$/))[1]!;
  });
  afterAll(async () => {
    await gateway?.stop();
    await fixture?.stop();
  });
  const subgraphCalls = async () =>
    parsePrometheusText(await (await fetch(metricsUrl)).text())
      .filter((sample) => sample.name === 'portico_source_calls_total')
      .reduce((sum, sample) => sum + sample.value, 0);

  it('refuses an operation over the budget before any subgraph is called, and answers one within it', async () => {
    const refused = await gql(url, '{ books { id title rating } }');
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.map((error) => [error.extensions?.code, error.extensions?.plan])).toEqual([['QUERY_PLAN_TOO_LARGE', { limit: 'fields', max: 2 }]]);
    expect(await subgraphCalls()).toBe(0);
    const answered = await gql(url, '{ books { id } }');
    expect(answered.body).toEqual({ data: { books: [{ id: 'b1' }, { id: 'b2' }] } });
    expect(await subgraphCalls()).toBe(1);
  });
});

describe('a bad planner value stops start-up, naming the key', () => {
  it('a BFF config: the ConfigError (exit 78 from `portico start`) names the BFF file and planner.planBudget.maxFields', async () => {
    const files = await writeConfigDir({ name: 'planner-bad', bff: { name: 'app', port: 0, sources: ['users'], planner: { planBudget: { maxFields: 0 } } } });
    await expect(loadConfig(files.rootFile, {})).rejects.toThrow(/bffs\/app\/bff\.config\.ts: planner\.planBudget\.maxFields: .*0/);
    await files.writeBff({ planner: { budget: { maxFields: 10 } } });
    await expect(loadConfig(files.rootFile, {}, { fresh: true })).rejects.toThrow(/bffs\/app\/bff\.config\.ts: planner: .*budget/);
  });

  it('portico serve: exits 2 naming the flag', async () => {
    const { code, stderr } = await runPortico(['serve', '--supergraph', 'any.graphql', '--plan-cache-bytes', '0']).exited;
    expect(code).toBe(2);
    expect(stderr).toContain('portico: --plan-cache-bytes: expected a positive integer, got 0');
  });
});
