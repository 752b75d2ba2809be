import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedLoad, deferred } from '../../support/boundedLoad.js';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { gql } from '../../support/portico.js';
import { hs256App, writeConfigDir, type ConfigDir } from '../../support/configDir.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

const SECRET = 'shutdown-test-secret-0123456789abcdef';
const HELD = 10;

let users: SubgraphHandle;
let gateway: CliProcess;
let url: string;
let bearer: string;
let config: ConfigDir;

/** The JSON log lines in what the process wrote to stdout. */
function logLines(stdout: string): Record<string, any>[] {
  return stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

beforeAll(async () => {
  users = await startSubgraph('users');
  config = await writeConfigDir({
    name: 'shutdown',
    root: {
      // Unready first, so balancers polling /readyz stop sending, then close and drain.
      shutdown: { unreadyDelayMs: 1000, drainTimeoutMs: 20_000 },
    },
    bff: hs256App(SECRET, 'shutdown-test'),
  });
  const root = config.rootFile;
  gateway = runPortico(['start', '--config', root], { USERS_URL: users.url, LOG_LEVEL: 'info' });
  url = (await gateway.waitForLine(/^app\s+(http:\S+)$/))[1]!;
  bearer = await new SignJWT({ scope: 'users:read users:pii' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('shutdown-test')
    .setAudience('app')
    .setSubject('u1')
    .setJti(randomUUID())
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));
});
afterAll(async () => {
  await gateway?.stop();
  await users?.release();
});

const auth = () => ({ authorization: `Bearer ${bearer}` });

describe('portico start, operated by signals', () => {
  it('reloads its config on SIGHUP', async () => {
    expect((await gql(url, '{ user(id: "u1") { email } }', undefined, auth())).status).toBe(200);
    await config.writeBff({ hide: ['User.email'] });
    gateway.child.kill('SIGHUP');
    await gateway.waitForLine(/"msg":"config reloaded"/);
    const { status, body } = await gql(url, '{ user(id: "u1") { email } }', undefined, auth());
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('on SIGTERM turns unready, stops accepting, and completes every request it had accepted', async () => {
    // Requests held at the subgraph: accepted by the gateway, unfinished when the signal comes.
    await users.setFaults({ hang: true });
    // Distinct users: identical reads in flight would share one upstream exchange.
    const held = Array.from({ length: HELD }, (_, i) => gql(url, `{ user(id: "u${i + 1}") { id } }`, undefined, auth()));
    await users.waitForStats((stats) => stats.inFlight === HELD);

    // Load that runs across the signal: each request either completes or is never accepted.
    const started = deferred();
    const load = boundedLoad({
      total: 400,
      concurrency: 4,
      request: () => ({
        url,
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
          body: JSON.stringify({ query: 'query Ping { __typename }' }),
        },
      }),
      check: (body, status) => status === 200 && JSON.stringify(body) === '{"data":{"__typename":"Query"}}',
      onProgress: (done) => done === 50 && started.resolve(),
    });
    await started.promise;
    gateway.child.kill('SIGTERM');

    // Unready while still serving: /readyz says 503 on a fresh connection.
    const readyz = new URL('/readyz', url).href;
    let readiness = 200;
    while (readiness === 200) readiness = (await fetch(readyz)).status;
    expect(readiness).toBe(503);
    // Then the listener closes: new connections are refused…
    let refused = false;
    while (!refused) {
      try {
        await (await fetch(readyz)).arrayBuffer();
      } catch {
        refused = true;
      }
    }
    // …while the held requests are still in flight. Now let them finish.
    expect((await users.stats()).inFlight).toBe(HELD);
    await users.setFaults({ hang: false });
    const answers = await Promise.all(held);
    expect(answers.map((answer) => answer.status)).toEqual(Array(HELD).fill(200));
    answers.forEach((answer, i) => expect(answer.body.data).toEqual({ user: { id: `u${i + 1}` } }));

    const report = await load;
    const { code, signal, stdout } = await gateway.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    // Every answer the load got was a complete, correct 200…
    expect(Object.keys(report.statuses)).toEqual(['200']);
    expect(report.badBodies).toBe(0);
    // …and the requests that got none were refused before the gateway accepted them.
    for (const failure of Object.keys(report.transportErrors)) expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(failure);

    const lines = logLines(stdout);
    const drained = lines.find((line) => line.msg === 'drained');
    expect(drained?.drain?.app?.inFlightAtClose).toBeGreaterThanOrEqual(HELD);
    expect(drained?.drain?.app?.cutOff).toBe(0);
    // The gateway answered exactly the GraphQL requests the clients saw answered.
    const answeredByGateway = lines.filter((line) => line.msg === 'request' && line.path === '/graphql' && line.operationName === 'Ping');
    expect(answeredByGateway).toHaveLength(report.statuses[200] ?? 0);
    expect(answeredByGateway.every((line) => line.status === 200)).toBe(true);
  });
});
