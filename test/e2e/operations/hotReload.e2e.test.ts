import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { boundedLoad, deferred } from '../../support/boundedLoad.js';
import { gql } from '../../support/portico.js';
import { hs256App, writeConfigDir, type ConfigDir } from '../../support/configDir.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

const SECRET = 'hot-reload-test-secret-0123456789abcdef';

let users: SubgraphHandle;
let bearer: string;
const logLines: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });

/** A config folder with one BFF, `app`, whose config the test rewrites. */
const configDir = (root: Record<string, unknown> = {}) =>
  writeConfigDir({ name: 'reload', root, bff: hs256App(SECRET, 'reload-test') });

async function start(rootFile: string): Promise<Portico> {
  const env = { USERS_URL: users.url, PORTICO_ADMIN_TOKEN: ADMIN_TOKEN };
  return startPortico(await loadConfig(rootFile, env), { logger, loadConfig: () => loadConfig(rootFile, env, { fresh: true }) });
}

const auth = () => ({ authorization: `Bearer ${bearer}` });
const ADMIN_TOKEN = 'reload-admin-token-0123456789abcdef012345';
const adminPost = { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
const emailProbe = (portico: Portico) => gql(portico.bffs[0]!.url, '{ user(id: "u1") { email } }', undefined, auth());

beforeAll(async () => {
  users = await startSubgraph('users');
  bearer = await new SignJWT({ scope: 'users:read users:pii' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('reload-test')
    .setAudience('app')
    .setSubject('u1')
    .setJti(randomUUID())
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));
});
afterAll(async () => {
  await users?.release();
});
beforeEach(async () => {
  await users.reset();
});

describe('hot reload', () => {
  let portico: Portico;
  let files: ConfigDir;
  beforeAll(async () => {
    files = await configDir({ admin: { port: 0, token: { env: 'PORTICO_ADMIN_TOKEN' } } });
    portico = await start(files.rootFile);
  });
  afterAll(async () => portico?.close(0));

  it('swaps in a config that hides a field during a bounded load test, with zero failed requests', async () => {
    expect((await emailProbe(portico)).body.data).toEqual({ user: { email: 'user1@example.com' } });
    const halfway = deferred();
    let answered = 0;
    const load = boundedLoad({
      total: 200,
      concurrency: 8,
      request: () => ({
        url: portico.bffs[0]!.url,
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...auth() },
          body: JSON.stringify({ query: '{ user(id: "u1") { name } }' }),
        },
      }),
      check: (body) => JSON.stringify(body) === JSON.stringify({ data: { user: { name: 'Ada Lovelace' } } }),
      onProgress: (done) => {
        answered = done;
        if (done === 50) halfway.resolve();
      },
    });
    await halfway.promise;
    await files.writeBff({ hide: ['User.email'] });
    const outcome = await portico.reload('admin');
    expect(outcome).toMatchObject({ ok: true, version: 2, trigger: 'admin' });
    // The swap happened with the load still running, not after it.
    expect(answered).toBeLessThan(200);
    const probe = await emailProbe(portico);
    expect(probe.status).toBe(400);
    expect(probe.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const report = await load;
    expect(report.statuses).toEqual({ 200: 200 });
    expect(report.transportErrors).toEqual({});
    expect(report.badBodies).toBe(0);
  });

  it('lets a request in flight finish on the config it started with', async () => {
    await files.writeBff({});
    expect((await portico.reload('admin')).ok).toBe(true);
    await users.setFaults({ hang: true });
    const held = emailProbe(portico);
    await users.waitForStats((stats) => stats.inFlight === 1);
    await files.writeBff({ hide: ['User.email'] });
    expect((await portico.reload('admin')).ok).toBe(true);
    // New requests already see the new schema while the old one still holds a request.
    expect((await emailProbe(portico)).status).toBe(400);
    await users.setFaults({ hang: false });
    const { status, body } = await held;
    expect(status).toBe(200);
    expect(body.data).toEqual({ user: { email: 'user1@example.com' } });
  });

  it('refuses an invalid config, logs why, and keeps serving the previous one', async () => {
    const version = portico.configVersion();
    const logged = logLines.length;
    await files.writeRaw(`export default { name: 'app', port: 'not-a-port', sources: ['users'] };\n`);
    const outcome = await portico.reload('signal');
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/bffs\/app\/bff\.config\.ts: port: .*not-a-port/);
    expect(portico.configVersion()).toBe(version);
    const refusal = logLines.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg?.toString().startsWith('config reload refused'));
    expect(refusal).toMatchObject({ level: 50, trigger: 'signal', reason: expect.stringMatching(/port/) });
    // Still the previous config: email stays hidden, names are served.
    expect((await emailProbe(portico)).status).toBe(400);
    expect((await gql(portico.bffs[0]!.url, '{ user(id: "u1") { name } }', undefined, auth())).status).toBe(200);

    await files.writeRaw(`export default { name: 'app', port: 0, sources: ['users'], hide: ['User.nope'] };\n`);
    expect((await portico.reload('admin')).ok).toBe(false);
    await files.writeBff({ port: 4999 });
    expect((await portico.reload('admin')).error).toMatch(/app\.port changed .*needs a restart/);
    expect(portico.configVersion()).toBe(version);
    expect((await emailProbe(portico)).status).toBe(400);
  });

  it('reloads on POST /admin/reload and answers with the outcome', async () => {
    await files.writeBff({});
    expect((await fetch(`${portico.admin!.url}/admin/reload`, { method: 'POST' })).status).toBe(401);
    const response = await fetch(`${portico.admin!.url}/admin/reload`, adminPost);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, trigger: 'admin', version: portico.configVersion() });
    expect((await emailProbe(portico)).status).toBe(200);

    await files.writeRaw('export default {;\n');
    const refused = await fetch(`${portico.admin!.url}/admin/reload`, adminPost);
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ ok: false, error: expect.stringMatching(/bff\.config\.ts/) });
    expect((await emailProbe(portico)).status).toBe(200);
  });

  it('runs one reload at a time: calls made during a reload share the next one', async () => {
    await files.writeBff({});
    const first = portico.reload('admin');
    const [second, third] = [portico.reload('admin'), portico.reload('signal')];
    const outcomes = await Promise.all([first, second, third]);
    expect(outcomes[1]).toBe(outcomes[2]);
    expect(outcomes[1]!.version).toBe(outcomes[0]!.version + 1);
  });
});

describe('hot reload on file change (reload.watch)', () => {
  it('reloads when the BFF config file is written', async () => {
    const files = await configDir({ reload: { watch: true, debounceMs: 20 } });
    const portico = await start(files.rootFile);
    try {
      expect((await emailProbe(portico)).status).toBe(200);
      await files.writeBff({ hide: ['User.email'] });
      // Each probe is a real round trip; the loop ends as soon as the watcher has reloaded.
      let probes = 0;
      while ((await emailProbe(portico)).status === 200) {
        probes += 1;
        if (probes > 5_000) throw new Error('no reload after the file changed');
      }
      expect(portico.configVersion()).toBe(2);
    } finally {
      await portico.close(0);
    }
  });
});
