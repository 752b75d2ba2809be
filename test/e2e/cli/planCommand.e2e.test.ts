import { describe, expect, it } from 'vitest';
import { runPortico } from '../../support/cli.js';

// `portico plan` as an operator runs it: human output and exit codes (docs/cli.md). What the
// fetches are worth against real subgraphs is test/e2e/cli/plan.e2e.test.ts.
const CLI_TIMEOUT_MS = 90_000;
// Sources on a closed port: the command must not need them.
const NOWHERE = { USERS_URL: 'http://127.0.0.1:9/graphql', ORDERS_URL: 'http://127.0.0.1:9/graphql', PRODUCTS_URL: 'http://127.0.0.1:9', INVENTORY_URL: 'http://127.0.0.1:9' };

describe('portico plan (issue 21)', () => {
  it('prints the fetches by round, the cost and the scopes, and exits 0', async () => {
    const { code, stdout, stderr } = await runPortico(
      ['plan', '--bff', 'mobile', 'query Card($id: ID!) { order(id: $id) { placedAt items { product { title card { inStock } } } } }', '--variables', '{"id":"o1"}'],
      NOWHERE,
    ).exited;
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^BFF mobile: query Card$/m);
    // Every demo BFF runs by plan (docs/query-planner.md), renames included.
    expect(stdout).toMatch(/^runs by plan/m);
    expect(stdout).toMatch(/round 1\n\s+#1 orders\/orders\s+POST \/graphql/);
    expect(stdout).toMatch(/placedAt: createdAt/); // the document the orders subgraph is sent, rename undone
    expect(stdout).toMatch(/variables: \{"id":"o1"\}/);
    expect(stdout).toMatch(/#3 inventory\s+GET \/inventory\/\{Product\.id\}\s+\(once per distinct Product\.id\)/);
    expect(stdout).toMatch(/^cost: \d+ of at most 5000$/m);
    expect(stdout).toMatch(/authenticated; scopes orders:read: Query\.order/);
  }, CLI_TIMEOUT_MS);

  it('exits 1 for an operation the BFF cannot run, and 2 for a usage error', async () => {
    const [invalid, usage] = await Promise.all([
      runPortico(['plan', '--bff', 'mobile', '{ order(id: "o1") { createdAt } }'], NOWHERE).exited,
      runPortico(['plan', '{ order(id: "o1") { id } }']).exited,
    ]);
    expect(invalid.code).toBe(1);
    // Mobile renamed createdAt to placedAt: the message is graphql-js's, naming the field.
    expect(invalid.stderr).toMatch(/not valid for BFF mobile:\n\s+- Cannot query field "createdAt" on type "Order"/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--bff NAME is required/);
  }, CLI_TIMEOUT_MS);
});
