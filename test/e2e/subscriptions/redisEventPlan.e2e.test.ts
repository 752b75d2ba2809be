import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type PorticoConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { writeConfigDir } from '../../support/configDir.js';
import { TEST_ADMIN_TOKEN, repoRoot } from '../../support/portico.js';
import { parsePrometheusText } from '../../support/prometheusText.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { sseSubscribe } from '../../support/sseSubscription.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// Issue 19 item 2 with a Redis event source as the plan's first step: each published JSON event
// names a user by id only, and the user's name comes from the users GraphQL source by its merge
// lookup (usersByIds), per event, by plan. The same subscription on the stitching engine gives the
// same events.
const SECRET = 'redis-event-plan-secret-0123456789abcdef';
const ISSUER = 'redis-event-plan';
const EVENTS_SDL = /* GraphQL */ `
directive @public on OBJECT | INTERFACE | FIELD_DEFINITION
type User @public { id: ID! }
type AccountEvent @public { seq: Int! kind: String! user: User }
type Subscription { accountEvents(account: ID!): AccountEvent @public @channel(name: "accounts.{account}") }
`;
const QUERY = 'subscription { accountEvents(account: "a1") { seq kind user { id name } } }';

let redis: RedisHandle;
let publisher: Redis;
let users: SubgraphHandle;
let plan: Portico;
let stitch: Portico;
let bearer: string;

beforeAll(async () => {
  [redis, users] = await Promise.all([startRedis(), startSubgraph('users', {}, { readyTimeoutMs: 90_000 })]);
  publisher = redis.client();
  const config = await writeConfigDir({
    name: 'redis-event-plan',
    root: { sources: './sources.ts', admin: { port: 0, token: { env: 'PORTICO_ADMIN_TOKEN' } }, redis: { url: redis.url, commandTimeoutMs: 2_000 } },
    bff: {
      name: 'app',
      port: 0,
      sources: ['users', 'events'],
      auth: { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: ISSUER, audience: 'app' } },
    },
  });
  await writeFile(path.join(config.dir, 'events.graphql'), EVENTS_SDL);
  await writeFile(
    path.join(config.dir, 'sources.ts'),
    `export default ${JSON.stringify({
      users: { kind: 'graphql', url: users.url, schema: path.join(repoRoot, 'schemas/users.graphql'), merge: { User: { key: 'id', field: 'usersByIds', argument: 'ids' } } },
      events: { kind: 'redis-events', schema: './events.graphql' },
    })};\n`,
  );
  const loaded = await loadConfig(config.rootFile, { PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  const logger = pino({ level: 'silent' });
  [plan, stitch] = await Promise.all([
    startPortico(loaded, { logger }),
    startPortico({ ...loaded, admin: undefined, bffs: loaded.bffs.map((bff) => ({ ...bff, engine: 'stitch' as const })) } as PorticoConfig, { logger }),
  ]);
  bearer = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('app')
    .setSubject('u1')
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));
}, 180_000);
afterAll(async () => {
  await Promise.all([plan?.close(0), stitch?.close(0)]);
  await Promise.all([users?.release(), redis?.stop()]);
});

const urlOf = (portico: Portico) => portico.bffs.find((bff) => bff.name === 'app')!.url;

async function operations(): Promise<(engine: string) => number> {
  const samples = parsePrometheusText(await (await fetch(`${plan.admin!.url}/metrics`)).text());
  return (engine) => samples.find((s) => s.name === 'portico_operations_total' && s.labels['bff'] === 'app' && s.labels['engine'] === engine)?.value ?? 0;
}

/** Resolves once `count` gateway connections listen on the channel. */
async function listening(channel: string, count: number): Promise<void> {
  // Each probe is a real round trip to Redis: the loop paces itself without a timer.
  for (let probes = 0; probes < 20_000; probes += 1) {
    const [, subscribers] = (await publisher.pubsub('NUMSUB', channel)) as [string, number];
    if (subscribers >= count) return;
  }
  throw new Error(`nobody listens on ${channel}`);
}

describe('a Redis event source as the first step of a plan', () => {
  it('resolves each event\'s user from the users source by plan, in order, the same events as stitching', async () => {
    const before = await operations();
    const planned = sseSubscribe({ url: urlOf(plan), query: QUERY, token: bearer });
    await listening('accounts.a1', 1);
    const afterPlanned = await operations();
    expect(afterPlanned('plan') - before('plan')).toBe(1);
    expect(afterPlanned('stitch') - before('stitch')).toBe(0);
    const stitched = sseSubscribe({ url: urlOf(stitch), query: QUERY, token: bearer });
    await listening('accounts.a1', 2);

    const published = [
      { seq: 1, kind: 'login', user: { id: 'u1' } },
      { seq: 2, kind: 'logout', user: { id: 'u1' } },
      { seq: 3, kind: 'login', user: null },
    ];
    for (const event of published) await publisher.publish('accounts.a1', JSON.stringify(event));
    for (const subscription of [planned, stitched]) await subscription.until((s) => s.results().length === 3, 'three events');

    expect(planned.results()).toEqual([
      { data: { accountEvents: { seq: 1, kind: 'login', user: { id: 'u1', name: 'Ada Lovelace' } } } },
      { data: { accountEvents: { seq: 2, kind: 'logout', user: { id: 'u1', name: 'Ada Lovelace' } } } },
      { data: { accountEvents: { seq: 3, kind: 'login', user: null } } },
    ]);
    expect(planned.results()).toEqual(stitched.results());
    // Two events named a user: the users source was asked by its merge lookup, once per event, on each engine.
    const lookups = (await users.requests()).filter((request) => JSON.stringify(request.body ?? '').includes('usersByIds'));
    expect(lookups).toHaveLength(4);
    planned.close();
    stitched.close();
  }, 60_000);
});
