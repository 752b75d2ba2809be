import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { hs256App, writeConfigDir } from '../../support/configDir.js';
import { gql, repoRoot } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// A BFF whose users source has two versions, each a real users process: the rules read the
// client's header and the verified token's tenant through the whole pipeline, /readyz shows the
// versions, and a reload of the sources registry moves traffic without a restart.

const SECRET = 'traffic-test-secret-0123456789abcdef0123';
const ISSUER = 'traffic-test';

let stable: SubgraphHandle;
let canary: SubgraphHandle;
let portico: Portico;
let sourcesFile: string;

async function writeSources(traffic: Record<string, unknown>): Promise<void> {
  const users = {
    kind: 'graphql',
    url: stable.url,
    schema: path.join(repoRoot, 'schemas/users.graphql'),
    resilience: { timeoutMs: 60_000, retry: { maxRetries: 0 }, fallback: { enabled: false } },
    traffic: { versions: { stable: stable.url, canary: canary.url }, ...traffic },
  };
  await writeFile(sourcesFile, `export default ${JSON.stringify({ users })};\n`);
}

const RULES = {
  rules: [
    { version: 'canary', when: { header: { name: 'x-version', equals: 'canary' } } },
    { version: 'canary', when: { tenant: ['acme'] } },
  ],
};

beforeAll(async () => {
  [stable, canary] = await Promise.all([startSubgraph('users'), startSubgraph('users')]);
  const dir = await writeConfigDir({ name: 'traffic', bff: hs256App(SECRET, ISSUER) });
  sourcesFile = path.join(dir.dir, 'sources.ts');
  await writeFile(dir.rootFile, `export default ${JSON.stringify({ sources: './sources.ts', bffs: ['./bffs/app'] })};\n`);
  await writeSources(RULES);
  portico = await startPortico(await loadConfig(dir.rootFile, {}), {
    logger: pino({ level: 'silent' }),
    loadConfig: () => loadConfig(dir.rootFile, {}, { fresh: true }),
  });
}, 120_000);
afterAll(async () => {
  await portico?.close(0);
  await Promise.all([stable?.release(), canary?.release()]);
});
beforeEach(async () => {
  await Promise.all([stable.reset(), canary.reset()]);
});

async function token(sub: string, tenant?: string): Promise<string> {
  return new SignJWT({ scope: 'users:read', ...(tenant ? { tenant } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('app')
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

async function ask(bearer: string, headers: Record<string, string> = {}): Promise<void> {
  const { status, body } = await gql(portico.bffs[0]!.url, '{ user(id: "u2") { id } }', undefined, { authorization: `Bearer ${bearer}`, ...headers });
  expect(status).toBe(200);
  expect(body.data).toEqual({ user: { id: 'u2' } });
}

describe('versions of a source behind a BFF', () => {
  it('routes by the client\'s header and by the verified tenant, exactly, and never by a tenant header', async () => {
    const globex = await token('g1', 'globex');
    const acme = await token('a1', 'acme');
    for (let i = 0; i < 10; i++) await ask(globex);
    for (let i = 0; i < 10; i++) await ask(globex, { 'x-version': 'canary' });
    for (let i = 0; i < 10; i++) await ask(acme);
    // A header cannot claim a tenant: identity comes from the verified token only.
    for (let i = 0; i < 10; i++) await ask(globex, { 'x-tenant': 'acme', tenant: 'acme' });
    expect((await stable.stats()).requests).toBe(20);
    expect((await canary.stats()).requests).toBe(20);
  });

  it('lists every version on /readyz with its weight and state', async () => {
    const response = await fetch(new URL('/readyz', portico.bffs[0]!.url));
    const body = (await response.json()) as { ready: boolean; sources: Record<string, unknown> };
    expect(response.status).toBe(200);
    expect(body.sources['users@stable']).toEqual({ breaker: 'closed', version: { weight: 100, state: 'serving' } });
    expect(body.sources['users@canary']).toEqual({ breaker: 'closed', version: { weight: 0, state: 'serving' } });
  });

  it('applies new weights on reload, without a restart', async () => {
    const bearer = await token('g1', 'globex');
    await writeSources({ ...RULES, weights: { stable: 0, canary: 100 } });
    const outcome = await portico.reload('admin');
    expect(outcome).toMatchObject({ ok: true });
    for (let i = 0; i < 10; i++) await ask(bearer);
    expect((await canary.stats()).requests).toBe(10);
    expect((await stable.stats()).requests).toBe(0);
    await writeSources(RULES);
    expect(await portico.reload('admin')).toMatchObject({ ok: true });
  });
});
