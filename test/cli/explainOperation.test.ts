import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { loadConfig, type PorticoConfig } from '../../src/config/loadConfig.js';
import { explainOperation } from '../../src/cli/explainOperation.js';
import { writeConfigDir, type ConfigDir } from '../support/configDir.js';

// `portico plan` for a BFF that runs by query plan (one federation supergraph, planner on): the
// fetches are the plan's, with their documents; the cost and the charge per tier are worked by hand.
let files: ConfigDir;
let config: PorticoConfig;
beforeAll(async () => {
  files = await writeConfigDir({
    name: 'plan',
    bff: {
      name: 'app',
      port: 0,
      sources: ['orders'],
      rateLimit: {
        tiers: [
          { kind: 'global', limit: 1000, windowSeconds: 60 },
          { kind: 'tenant', plans: { free: { limit: 50, windowSeconds: 60 }, pro: 'unlimited' } },
          { kind: 'field', field: 'Query.orders', limit: 100, windowSeconds: 60 },
          { kind: 'field', field: 'Query.order', limit: 100, windowSeconds: 60 },
        ],
      },
    },
  });
  // Sources on a closed port: nothing may be called.
  config = await loadConfig(files.rootFile, { ORDERS_URL: 'http://127.0.0.1:9/graphql' });
});
afterAll(async () => {
  await rm(files.dir, { recursive: true, force: true });
});

describe('explainOperation on a BFF that runs by plan', () => {
  it('gives the plan fetches, the cost, each tier charge and the scopes', async () => {
    const plan = await explainOperation(config, { bff: 'app', query: 'query Latest { orders(first: 4) { id status items { quantity } } }' });
    expect(plan.execution.mode).toBe('plan');
    expect(plan.operationName).toBe('Latest');
    expect(plan.fetches).toHaveLength(1);
    expect(plan.fetches[0]).toMatchObject({ seq: 1, round: 1, source: 'orders/orders', kind: 'graphql' });
    expect(plan.fetches[0]!.query).toMatch(/orders\(first: 4\)/);
    expect(plan.callsBySource).toEqual({ 'orders/orders': 1 });
    // 4 orders × (1 for the Order + 3 assumed items × 1 for each OrderItem) = 16.
    expect(plan.cost).toEqual({ estimated: 16, max: 5000, refused: false });
    expect(plan.rateLimit).toEqual([
      expect.objectContaining({ tier: 'global', charge: 16, limit: 1000, perWindow: 62 }),
      expect.objectContaining({ tier: 'tenant', appliesTo: expect.stringMatching(/^plan free/), charge: 16, limit: 50, perWindow: 3 }),
      expect.objectContaining({ tier: 'tenant', appliesTo: 'plan pro', limit: 'unlimited' }),
      expect.objectContaining({ tier: 'field:Query.orders', charge: 16, perWindow: 6 }),
      expect.objectContaining({ tier: 'field:Query.order', charge: 0, appliesTo: expect.stringMatching(/^not charged/) }),
    ]);
    expect(plan.authorization.fields.find((field) => field.field === 'Query.orders')).toMatchObject({ scopes: [[['orders:read']]] });
  });

  it('says why an operation the planner does not support runs by stitching, and traces what stitching sends', async () => {
    const plan = await explainOperation(config, { bff: 'app', query: '{ orders(first: 1) { id } __type(name: "Order") { name } }' });
    expect(plan.execution).toEqual({ mode: 'stitching', reason: 'the query planner does not support this operation: introspection' });
    // Introspection is answered by the gateway; only the orders field reaches the subgraph.
    expect(plan.fetches.map((fetch) => [fetch.source, fetch.round])).toEqual([['orders/orders', 1]]);
    expect(plan.fetches[0]!.query).toMatch(/orders\(first: \$first, offset: \$offset\)/);
    expect(plan.fetches[0]!.variables).toEqual({ first: 1, offset: 0 });
    expect(plan.traceErrors).toEqual([]);
  });

  it('refuses an operation the BFF cannot run, naming the field', async () => {
    await expect(explainOperation(config, { bff: 'app', query: '{ orders { nope } }' })).rejects.toThrow(/Cannot query field "nope" on type "Order"/);
    await expect(explainOperation(config, { bff: 'nope', query: '{ orders { id } }' })).rejects.toThrow(/no BFF named "nope" \(configured: app\)/);
  });
});
