import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { hs256App, writeConfigDir } from '../../support/configDir.js';
import { FLEET_ADMIN, fleetToken, revokeVia } from '../../support/fleet.js';
import { gql, TEST_ADMIN_TOKEN } from '../../support/portico.js';
import { redisConfig, startRedis, type RedisHandle } from '../../support/redis.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// Two gateways (in this process) share a Redis without persistence, which restarts and comes
// back empty: every revocation key is gone. docs/redis.md, "When Redis loses revocations": the
// gateway that knew a revocation goes on refusing the token and writes it back, so the gateway
// that never saw it refuses it too.

const SECRET = 'data-loss-test-secret-0123456789abcdef01';
const ISSUER = 'data-loss-test';

interface Gateway {
  portico: Portico;
  url: string;
  admin: string;
  /** Resolves with the count of the first "wrote them back" warning. */
  restored: Promise<number>;
}

let redis: RedisHandle;
let users: SubgraphHandle;
let gateways: Gateway[];

beforeAll(async () => {
  [redis, users] = await Promise.all([startRedis(), startSubgraph('users')]);
  const { rootFile } = await writeConfigDir({
    name: 'redis-data-loss',
    root: { admin: FLEET_ADMIN, redis: redisConfig({ url: redis.url, commandTimeoutMs: 1_000 }) },
    bff: hs256App(SECRET, ISSUER),
  });
  const config = await loadConfig(rootFile, { USERS_URL: users.url, PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  gateways = await Promise.all(
    [0, 1].map(async () => {
      let restoredCount: (count: number) => void = () => {};
      const restored = new Promise<number>((resolve) => (restoredCount = resolve));
      const logger = pino({ level: 'info' }, {
        write: (line: string) => {
          const { msg, count } = JSON.parse(line) as { msg: string; count?: number };
          if (msg.includes('wrote them back')) restoredCount(count!);
        },
      });
      const portico = await startPortico(config, { logger });
      return { portico, restored, url: portico.bffs[0]!.url, admin: portico.admin!.url };
    }),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all((gateways ?? []).map((gateway) => gateway.portico.close(0)));
  await Promise.all([users?.release(), redis?.stop()]);
});

const ask = (gateway: Gateway, bearer: string) => gql(gateway.url, '{ __typename }', undefined, { authorization: `Bearer ${bearer}` });

describe('a Redis that restarts empty', () => {
  it('loses no revocation a gateway knew: that gateway refuses the token throughout and writes it back for the others', async () => {
    const [knows, neverSaw] = gateways as [Gateway, Gateway];
    const revoked = await fleetToken(SECRET, ISSUER);
    const valid = await fleetToken(SECRET, ISSUER);
    expect((await revokeVia(knows, revoked.jti, revoked.exp)).status).toBe(200);
    expect((await ask(knows, revoked.bearer)).status).toBe(401);
    expect((await ask(neverSaw, valid.bearer)).status).toBe(200);

    await redis.kill();
    // Down: the gateway that knows still refuses the token (401, not the store's 503).
    expect((await ask(knows, revoked.bearer)).status).toBe(401);
    await redis.restart();

    // Its client connects again and writes the revocation back (SET NX: the count says the key
    // was gone), with the token's expiry.
    expect(await knows.restored).toBe(1);
    expect(await redis.client().pexpiretime(`portico:revoked:${revoked.jti}`)).toBe(revoked.exp * 1000);
    // The gateway that never saw the token refuses it; good tokens pass on both.
    const refused = await ask(neverSaw, revoked.bearer);
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const gateway of gateways) expect((await ask(gateway, valid.bearer)).status).toBe(200);
  }, 60_000);
});
