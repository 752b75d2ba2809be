import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { sourceSchema } from '../../../src/config/schema.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { chooseVersion } from '../../../src/transport/chooseVersion.js';
import { writeConfigDir } from '../../support/configDir.js';
import { gql, repoRoot } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// A BFF over a federation source whose one subgraph, orders, runs as two versions, each a real
// orders process: signed-in callers land where the weights place them (counted at each process),
// and a failing canary subgraph is rolled back, after which it gets no call.

const SECRET = 'subgraph-versions-secret-0123456789abcdef';
const ISSUER = 'subgraph-versions-test';

let stable: SubgraphHandle;
let canary: SubgraphHandle;
let portico: Portico;
let subgraphTraffic: Record<string, unknown>;

beforeAll(async () => {
  [stable, canary] = await Promise.all([startSubgraph('orders'), startSubgraph('orders')]);
  subgraphTraffic = {
    orders: {
      versions: { stable: stable.url, canary: canary.url },
      weights: { stable: 70, canary: 30 },
      // Judged on errors only: with the default 250 ms p99 margin, a loaded machine slowing one
      // process more than the other rolled the canary back mid-count (seen: 10 and 49 of 56 calls).
      rollback: { windowMs: 600_000, minCalls: 10, errorRateMargin: 0.05, p99MarginMs: 600_000 },
    },
  };
  const shop = {
    kind: 'federation',
    subgraphs: [{ name: 'orders', url: stable.url, schema: path.join(repoRoot, 'schemas/orders.graphql') }],
    // Calls counted at each process are routed calls: no retries, no answers from the fallback cache.
    resilience: { timeoutMs: 60_000, retry: { maxRetries: 0 }, fallback: { enabled: false }, breaker: { volumeThreshold: 1_000 } },
    subgraphTraffic,
  };
  const dir = await writeConfigDir({
    name: 'subgraph-versions',
    bff: {
      name: 'app',
      port: 0,
      sources: ['shop'],
      auth: { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: ISSUER, audience: 'app' } },
      authz: { defaultPolicy: 'authenticated' },
    },
  });
  await writeFile(path.join(dir.dir, 'sources.ts'), `export default ${JSON.stringify({ shop })};\n`);
  await writeFile(dir.rootFile, `export default ${JSON.stringify({ sources: './sources.ts', bffs: ['./bffs/app'] })};\n`);
  portico = await startPortico(await loadConfig(dir.rootFile, {}), { logger: pino({ level: 'silent' }) });
}, 120_000);
afterAll(async () => {
  await portico?.close(0);
  await Promise.all([stable?.release(), canary?.release()]);
});

async function token(sub: string): Promise<string> {
  return new SignJWT({ scope: 'orders:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience('app').setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
}

async function ask(sub: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  const { status, body } = await gql(portico.bffs[0]!.url, '{ order(id: "o1") { id } }', undefined, { authorization: `Bearer ${await token(sub)}` });
  expect(status).toBe(200);
  return body;
}

async function readyz(): Promise<Record<string, { version?: { weight: number; state: string; rollback?: { reason: string } } }>> {
  const body = (await (await fetch(new URL('/readyz', portico.bffs[0]!.url))).json()) as { sources: Record<string, { version?: { weight: number; state: string } }> };
  return body.sources;
}

describe('versions of a federation source\'s subgraph', () => {
  it('sends each signed-in caller to the version the weights place them on, then rolls a failing canary back and sends it nothing', async () => {
    const parsed = sourceSchema.parse({ kind: 'federation', subgraphs: [{ name: 'orders', url: stable.url, schema: 'x' }], subgraphTraffic });
    if (parsed.kind !== 'federation') throw new Error('unreachable');
    const traffic = parsed.subgraphTraffic!['orders']!;
    // The subgraph's transport name is `shop/orders`: that salts the sticky hash.
    const placed = (sub: string) => chooseVersion('shop/orders', traffic, { principal: { kind: 'jwt', subject: sub, scopes: [], roles: [] }, header: () => undefined }, new Set()).version;
    const subjects = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const toCanary = subjects.filter((sub) => placed(sub) === 'canary').length;
    // Another user's order reads as null (ownership): what counts here is which process answered.
    for (const sub of subjects) expect(await ask(sub)).toEqual({ data: { order: null } });
    // Exactly where the router placed them, and near the weights.
    expect((await canary.stats()).requests).toBe(toCanary);
    expect((await stable.stats()).requests).toBe(200 - toCanary);
    expect(Math.abs(toCanary / 2 - 30)).toBeLessThanOrEqual(10);
    expect(await readyz()).toMatchObject({ 'shop/orders@stable': { version: { weight: 70, state: 'serving' } }, 'shop/orders@canary': { version: { weight: 30, state: 'serving' } } });

    // The canary build fails everything: its callers get errors until its error rate over the
    // window (its earlier successes included) exceeds stable's by the margin.
    await canary.setFaults({ errorRate: 1 });
    const canaryCallers = subjects.filter((sub) => placed(sub) === 'canary');
    let failedCalls = 0;
    for (const sub of canaryCallers) {
      expect((await ask(sub)).errors).toBeDefined();
      failedCalls += 1;
      if ((await readyz())['shop/orders@canary']?.version?.state === 'rolled_back') break;
    }
    expect(await readyz()).toMatchObject({ 'shop/orders@canary': { version: { weight: 0, state: 'rolled_back', rollback: { reason: 'error_rate' } } }, 'shop/orders@stable': { version: { weight: 100 } } });
    // 5 points over stable's 0 % after toCanary successes: the first failure count past toCanary / 19.
    expect(failedCalls).toBe(Math.floor(toCanary / 19) + 1);
    const reached = (await canary.stats()).requests;
    expect(reached).toBe(toCanary + failedCalls);

    // Rolled back: the same callers are answered by stable, and the canary gets no further call.
    for (const sub of canaryCallers) expect(await ask(sub)).toEqual({ data: { order: null } });
    expect((await canary.stats()).requests).toBe(reached);
  }, 120_000);
});
