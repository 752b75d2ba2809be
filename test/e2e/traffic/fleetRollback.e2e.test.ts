import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { hs256App, writeConfigDir } from '../../support/configDir.js';
import { gql, repoRoot } from '../../support/portico.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// Two instances of one deployment sharing a real Redis, over a users source with a real stable
// and a real canary process: when one instance rolls the failing canary back, the other follows
// on the fleet channel before it has made a single call to the canary itself.

const SECRET = 'fleet-rollback-secret-0123456789abcdef0';
const ISSUER = 'fleet-rollback-test';

let redis: RedisHandle;
let stable: SubgraphHandle;
let canary: SubgraphHandle;
let instances: Portico[] = [];

beforeAll(async () => {
  [redis, stable, canary] = await Promise.all([startRedis(), startSubgraph('users'), startSubgraph('users')]);
  const dir = await writeConfigDir({ name: 'fleet-rollback', bff: hs256App(SECRET, ISSUER) });
  const users = {
    kind: 'graphql',
    url: stable.url,
    schema: path.join(repoRoot, 'schemas/users.graphql'),
    resilience: { timeoutMs: 60_000, retry: { maxRetries: 0 }, fallback: { enabled: false }, breaker: { volumeThreshold: 1_000 } },
    traffic: { versions: { stable: stable.url, canary: canary.url }, weights: { stable: 50, canary: 50 }, rollback: { windowMs: 600_000, minCalls: 5, errorRateMargin: 0.2 } },
  };
  await writeFile(path.join(dir.dir, 'sources.ts'), `export default ${JSON.stringify({ users })};\n`);
  await writeFile(dir.rootFile, `export default ${JSON.stringify({ sources: './sources.ts', bffs: ['./bffs/app'], redis: { url: redis.url, commandTimeoutMs: 2_000 } })};\n`);
  for (let i = 0; i < 2; i++) instances.push(await startPortico(await loadConfig(dir.rootFile, {}), { logger: pino({ level: 'silent' }) }));
  await Promise.all(instances.map((instance) => instance.fleet!.ready()));
}, 120_000);
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.close(0)));
  instances = [];
  await Promise.all([stable?.release(), canary?.release(), redis?.stop()]);
});

async function ask(instance: Portico, sub: string): Promise<void> {
  const bearer = await new SignJWT({ scope: 'users:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience('app').setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
  const { status } = await gql(instance.bffs[0]!.url, '{ user(id: "u2") { id } }', undefined, { authorization: `Bearer ${bearer}` });
  expect(status).toBe(200);
}

const canaryState = (instance: Portico) => instance.sources.health(['users'])['users@canary']?.version?.state;

describe('a rollback shared by the fleet', () => {
  it('rolls the canary back on every instance once one has judged it, and the others send it nothing', async () => {
    const [a, b] = instances as [Portico, Portico];
    await canary.setFaults({ errorRate: 1 });
    // Only instance A calls: it judges the canary on its own calls.
    for (let i = 0; i < 200 && canaryState(a) !== 'rolled_back'; i++) await ask(a, `user-${i}`);
    expect(canaryState(a)).toBe('rolled_back');
    const reached = (await canary.stats()).requests;
    expect(reached).toBe(5);

    // B made no call at all, yet follows A over the fleet channel.
    await expect.poll(() => canaryState(b), { timeout: 5_000 }).toBe('rolled_back');
    expect(b.sources.health(['users'])['users@canary']?.version).toMatchObject({ weight: 0, rollback: { reason: 'error_rate' } });
    for (let i = 0; i < 100; i++) await ask(b, `user-${i}`);
    expect((await canary.stats()).requests).toBe(reached);
  }, 120_000);
});
