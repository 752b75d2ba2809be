import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { hs256App, writeConfigDir, type ConfigDir } from '../../support/configDir.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

let users: SubgraphHandle;
let redis: RedisHandle;
let config: ConfigDir;
let gateway: CliProcess | undefined;

beforeAll(async () => {
  users = await startSubgraph('users');
  redis = await startRedis();
  config = await writeConfigDir({
    name: 'shutdown-redis-down',
    // Redis for the fleet channel, revocations and rate limits: every Redis client the gateway has.
    root: { redis: { url: redis.url }, fleet: { resyncIntervalMs: 100 }, shutdown: { unreadyDelayMs: 0, drainTimeoutMs: 2_000 } },
    bff: {
      ...hs256App('shutdown-redis-test-secret-0123456789abcdef', 'shutdown-redis-test'),
      rateLimit: { tiers: [{ kind: 'global', limit: 1_000, windowSeconds: 1 }], store: 'redis' },
    },
  });
});
afterAll(async () => {
  if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL');
  await redis?.stop();
  await users?.release();
});

describe('portico start, when Redis has gone away', () => {
  it('stops on SIGTERM, within its drain, instead of waiting for Redis to come back', async () => {
    gateway = runPortico(['start', '--config', config.rootFile], { USERS_URL: users.url, LOG_LEVEL: 'info' });
    await gateway.waitForLine(/^app\s+(http:\S+)$/);
    await redis.kill();
    // The fleet's resync failing: by then its connections know Redis is gone, and what they are
    // asked now waits in ioredis's queue for a reconnect that cannot come.
    await gateway.waitForLine(/fleet: resync failed/);
    const stoppedBy = Date.now() + 15_000;
    gateway.child.kill('SIGTERM');
    const exit = await Promise.race([gateway.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), stoppedBy - Date.now()))]);
    expect(exit === 'still running' ? exit : { code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
  });
});
