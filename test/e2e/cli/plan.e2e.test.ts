import { readFile, rm } from 'node:fs/promises';
import { pino } from 'pino';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gql, repoRoot, useDemoGateway } from '../../support/portico.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico } from '../../../src/runtime/startPortico.js';
import { hs256App, writeConfigDir } from '../../support/configDir.js';
import { SignJWT } from 'jose';
import { explainOperation, type OperationPlan } from '../../../src/cli/explainOperation.js';
import type { SubgraphName } from '../../support/subgraphs.js';

// Issue 21: `portico plan` on the README's example queries prints the fetches the subgraphs then
// receive when the query runs for real. The plan is what the CLI prints with --json
// (explainOperation; test/e2e/cli/cliCommands.e2e.test.ts runs the command itself), made from a
// config whose sources point nowhere reachable; the query runs on the demo gateway against the
// demo subgraphs as processes, whose own request logs are what is counted.

const demo = useDemoGateway({ idp: true });
const UPSTREAM: Record<string, SubgraphName> = { users: 'users', 'orders/orders': 'orders', products: 'products', inventory: 'inventory' };

/** The three ```graphql blocks under README's "Example queries": web, mobile, partner. */
async function readmeQueries(): Promise<{ bff: string; query: string }[]> {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example queries'), readme.indexOf('\n## ', readme.indexOf('## Example queries') + 1));
  const blocks = [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]!);
  expect(blocks).toHaveLength(3);
  return ['web', 'mobile', 'partner'].map((bff, i) => ({ bff, query: blocks[i]! }));
}

async function planOf(bff: string, query: string): Promise<OperationPlan> {
  // Every source URL points at a closed port: a plan that called anything would fail.
  const config = await loadConfig(path.join(repoRoot, 'portico.config.ts'), {
    USERS_URL: 'http://127.0.0.1:9/graphql',
    ORDERS_URL: 'http://127.0.0.1:9/graphql',
    PRODUCTS_URL: 'http://127.0.0.1:9',
    INVENTORY_URL: 'http://127.0.0.1:9',
  });
  return explainOperation(config, { bff, query });
}

/**
 * A received document without the owner arguments field authorization fills in for the caller
 * (`@owner(fill: true)`: `userId: $porticoOwner_sub`). `portico plan` prints the documents before
 * that per-caller step, since it plans for no caller in particular (docs/cli.md).
 */
function withoutOwnerFill(document: string): string {
  return document
    .replace(/^query \(\$porticoOwner_\w+: ID\) /, '')
    .replace(/, \w+: \$porticoOwner_\w+\)/g, ')')
    .replace(/\(\w+: \$porticoOwner_\w+\)/g, '');
}

/** A planned REST URL with `{Type.field}` placeholders as a pattern real paths must match. */
function urlPattern(url: string): RegExp {
  const parts = url.split(/\{[_A-Za-z0-9]+\.[_A-Za-z0-9]+\}/).map((part) => part.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/&]+')}$`);
}

describe('portico plan on the README queries (issue 21)', () => {
  let cases: { bff: string; query: string; plan: OperationPlan }[];
  beforeAll(async () => {
    const queries = await readmeQueries();
    const plans = await Promise.all(queries.map(({ bff, query }) => planOf(bff, query)));
    cases = queries.map((entry, i) => ({ ...entry, plan: plans[i]! }));
  }, 60_000);

  for (const bff of ['web', 'mobile', 'partner']) {
    it(`${bff}: the planned fetches are exactly what each subgraph receives`, async () => {
      const { query, plan } = cases.find((entry) => entry.bff === bff)!;
      // Every demo BFF runs by plan (docs/query-planner.md).
      expect(plan.execution.mode).toBe('plan');
      expect(plan.traceErrors).toEqual([]);
      await Promise.all(Object.values(demo.subgraphs).map((subgraph) => subgraph.reset()));

      const headers = await demo.signIn({ sub: 'u1', scopes: ['orders:read', 'inventory:read', 'users:pii'] });
      const { status, body } = await gql(demo.portico.bff(bff).url, query, undefined, headers);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();

      for (const [upstream, name] of Object.entries(UPSTREAM)) {
        const received = await demo.subgraphs[name].requests();
        const planned = plan.fetches.filter((fetch) => fetch.source === upstream && fetch.sharedWith === undefined);
        // GraphQL: the same documents, each sent once.
        const plannedDocuments = planned.filter((fetch) => fetch.kind === 'graphql').map((fetch) => fetch.query).sort();
        const receivedDocuments = received
          .filter((request) => request.method === 'POST')
          .map((request) => withoutOwnerFill((request.body as { query: string }).query))
          .sort();
        expect(receivedDocuments, `${bff}: documents ${upstream} received`).toEqual(plannedDocuments);
        // REST: every request matches one planned call; a call built from data comes once per distinct value.
        const paths = received.filter((request) => request.method === 'GET').map((request) => decodeURIComponent(request.path));
        let expected = 0;
        for (const fetch of planned.filter((candidate) => candidate.kind === 'rest')) {
          const matching = paths.filter((requestPath) => urlPattern(fetch.url).test(requestPath));
          if (fetch.perDistinct) {
            expect(matching.length, `${bff}: ${fetch.url} is called for each distinct value`).toBeGreaterThan(0);
            expect(new Set(matching).size, `${bff}: ${fetch.url}, once per distinct value`).toBe(matching.length);
          } else {
            expect(matching, `${bff}: ${upstream} ${fetch.url}`).toHaveLength(1);
          }
          expected += matching.length;
        }
        expect(paths, `${bff}: ${upstream} received nothing unplanned`).toHaveLength(expected);
      }
    });
  }

  it('web: the per-product stock call is made once per distinct product of the answer', async () => {
    const { plan } = cases.find((entry) => entry.bff === 'web')!;
    expect(plan.fetches.find((fetch) => fetch.source === 'inventory')).toMatchObject({ url: '/inventory/{Product.id}', perDistinct: ['Product.id'] });
    await Promise.all(Object.values(demo.subgraphs).map((subgraph) => subgraph.reset()));
    const headers = await demo.signIn({ sub: 'u1', scopes: ['orders:read', 'inventory:read'] });
    const { body } = await gql<{ user: { orders: { items: { product: { id: string } }[] }[] } }>(
      demo.portico.bff('web').url,
      '{ user(id: "u1") { orders(first: 2) { items { product { id stock { available } } } } } }',
      undefined,
      headers,
    );
    const distinct = new Set(body.data!.user.orders.flatMap((order) => order.items.map((item) => item.product.id)));
    expect((await demo.subgraphs.inventory.stats()).requests).toBe(distinct.size);
  });

  it('a BFF that runs by plan: the planned documents are exactly what the orders subgraph receives', async () => {
    const secret = 'plan-e2e-secret-0123456789abcdef0123';
    const files = await writeConfigDir({ name: 'plan-planned', bff: { ...hs256App(secret, 'plan-e2e'), sources: ['orders'] } });
    const token = await new SignJWT({ scope: 'orders:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('plan-e2e')
      .setAudience('app')
      .setSubject('u1')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secret));
    const query = '{ orders(first: 3) { id status items { quantity product { id } } } order(id: "o2") { total } }';
    const planned = await explainOperation(await loadConfig(files.rootFile, { ORDERS_URL: 'http://127.0.0.1:9/graphql' }), { bff: 'app', query });
    expect(planned.execution.mode).toBe('plan');
    const portico = await startPortico(await loadConfig(files.rootFile, { ORDERS_URL: demo.subgraphs.orders.url }), { logger: pino({ level: 'silent' }) });
    try {
      await demo.subgraphs.orders.reset();
      const { body } = await gql(portico.bffs[0]!.url, query, undefined, { authorization: `Bearer ${token}` });
      expect(body.errors).toBeUndefined();
      const received = (await demo.subgraphs.orders.requests()).map((request) => withoutOwnerFill((request.body as { query: string }).query));
      expect(received.sort()).toEqual(planned.fetches.map((fetch) => fetch.query).sort());
    } finally {
      await portico.close(0);
      await rm(files.dir, { recursive: true, force: true });
    }
  });

  it('prints the cost and the scopes', async () => {
    const { plan } = cases.find((entry) => entry.bff === 'web')!;
    expect(plan.cost.estimated).toBeGreaterThan(0);
    expect(plan.authorization.fields.map((field) => field.field)).toEqual(expect.arrayContaining(['User.orders', 'Stock.warehouse']));
    expect(plan.authorization.fields.find((field) => field.field === 'Stock.warehouse')?.scopes).toEqual([[['inventory:read']]]);
  });
});
