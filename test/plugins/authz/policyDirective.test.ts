import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { gql, repoRoot } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { POLICY_CALLS } from '../../fixtures/policy/policies.js';

// `@policy` (issue 22): named functions a BFF team writes (test/fixtures/policy/policies.ts)
// decide fields of test/fixtures/policy/users.graphql before any call to the real users
// subgraph process, on both engines and in both denial modes: four BFFs of one gateway.

const SECRET = 'policy-test-secret-0123456789abcdef0123';
const ISSUER = 'policy-test';
const FIXTURE = path.join(repoRoot, 'test/fixtures/policy');
const BFFS = [
  { name: 'plan-reject', engine: 'plan', onDenied: 'reject' },
  { name: 'stitch-reject', engine: 'stitch', onDenied: 'reject' },
  { name: 'plan-null', engine: 'plan', onDenied: 'null' },
  { name: 'stitch-null', engine: 'stitch', onDenied: 'null' },
] as const;

let users: SubgraphHandle;
let portico: Portico;
const urls: Record<string, string> = {};
const calls = () => ((globalThis as Record<symbol, unknown>)[POLICY_CALLS] ??= []) as { policy: string; coordinate: string; args: Record<string, unknown> }[];

beforeAll(async () => {
  users = await startSubgraph('users');
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-policy-'));
  for (const bff of BFFS) {
    await mkdir(path.join(dir, bff.name));
    const config = {
      name: bff.name,
      port: 0,
      sources: ['users'],
      engine: bff.engine,
      policies: path.join(FIXTURE, 'policies.ts'),
      authz: { onDenied: bff.onDenied },
      auth: { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: ISSUER, audience: 'app' } },
    };
    await writeFile(path.join(dir, bff.name, 'bff.config.ts'), `export default ${JSON.stringify(config)};\n`);
  }
  const rootFile = path.join(dir, 'portico.config.ts');
  await writeFile(rootFile, `export default ${JSON.stringify({ sources: path.join(FIXTURE, 'sources.ts'), bffs: BFFS.map((bff) => `./${bff.name}`) })};\n`);
  portico = await startPortico(await loadConfig(rootFile, { USERS_URL: users.url }), { logger: pino({ level: 'silent' }) });
  for (const bff of portico.bffs) urls[bff.name] = bff.url;
});
afterAll(async () => {
  await portico?.close(0);
  await users?.release();
});
beforeEach(async () => {
  calls().length = 0;
  await users.reset();
});

async function as(claims: { roles?: string[]; scope?: string; tenant?: string } = {}): Promise<Record<string, string>> {
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience('app').setSubject('u1').setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
  return { authorization: `Bearer ${token}` };
}
const usersCalls = async () => (await users.stats()).requests;

describe.each(BFFS.filter((bff) => bff.onDenied === 'reject'))('$name: a policy denial refuses the request', ({ name }) => {
  it('refuses with 403 FORBIDDEN and the denied path before the users subgraph is called', async () => {
    const response = await gql(urls[name]!, '{ user(id: "u1") { name createdAt } }', undefined, await as({ roles: ['support'] }));
    expect(response.status).toBe(403);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'FORBIDDEN', denied: [{ field: 'User.createdAt', path: ['user', 'createdAt'] }] } }),
    ]);
    expect(await usersCalls()).toBe(0);
  });

  it('decides from the arguments: the lookup policy refuses user(id: "u3") and admits u1', async () => {
    const refused = await gql(urls[name]!, '{ user(id: "u3") { name } }', undefined, await as());
    expect(refused.status).toBe(403);
    expect(refused.body.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', denied: [{ field: 'Query.user', path: ['user'] }] });
    expect(await usersCalls()).toBe(0);
    const admitted = await gql(urls[name]!, '{ user(id: "u1") { name } }', undefined, await as());
    expect(admitted.status).toBe(200);
    expect(admitted.body.data).toEqual({ user: { name: expect.any(String) } });
    expect(calls().filter((call) => call.policy === 'lookupAllowed').map((call) => call.args)).toEqual([{ id: 'u3' }, { id: 'u1' }]);
  });
});

describe.each(BFFS.filter((bff) => bff.onDenied === 'null'))('$name: a policy denial nulls the field', ({ name }) => {
  it('answers the denied field null with FORBIDDEN at its path, and never asks the subgraph for it', async () => {
    const response = await gql(urls[name]!, '{ user(id: "u1") { name createdAt } }', undefined, await as({ roles: ['support'] }));
    expect(response.status).toBe(200);
    // createdAt is non-null, so its parent takes the null, as GraphQL says.
    expect(response.body.data).toEqual({ user: null });
    expect(response.body.errors).toEqual([
      expect.objectContaining({ path: ['user', 'createdAt'], extensions: { code: 'FORBIDDEN', field: 'User.createdAt' } }),
    ]);
    const sent = await users.requests();
    expect(sent.map((request) => JSON.stringify(request.body))).not.toContain('createdAt');
  });

  it('calls no subgraph at all when every field asked for is denied (type-level @policy on Tenant)', async () => {
    const response = await gql(urls[name]!, '{ tenant(id: "t1") { name } }', undefined, await as());
    expect(response.body.data).toEqual({ tenant: null });
    expect(response.body.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', field: 'Tenant.name' });
    expect(await usersCalls()).toBe(0);
  });
});

describe.each(BFFS)('$name: policies as Apollo defines them', ({ name }) => {
  it('reads [["auditor"], ["support", "onDuty"]] as auditor, or support and onDuty', async () => {
    const query = '{ user(id: "u1") { createdAt } }';
    expect((await gql(urls[name]!, query, undefined, await as({ roles: ['auditor'] }))).body.data).toEqual({ user: { createdAt: expect.any(String) } });
    expect((await gql(urls[name]!, query, undefined, await as({ roles: ['support'], scope: 'duty:on' }))).body.data).toEqual({ user: { createdAt: expect.any(String) } });
    const offDuty = await gql(urls[name]!, query, undefined, await as({ roles: ['support'] }));
    expect(offDuty.body.errors![0]!.extensions!['code']).toBe('FORBIDDEN');
  });

  it('calls a policy function once per request and field, however often the field is reached', async () => {
    const query = `{
      a: user(id: "u1") { createdAt ...F }
      b: user(id: "u1") { createdAt ...F }
      c: user(id: "u2") { createdAt }
    }
    fragment F on User { createdAt tenant { name plan } }`;
    const response = await gql(urls[name]!, query, undefined, await as({ roles: ['auditor'], tenant: 't1' }));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const count = (policy: string, coordinate: string) => calls().filter((call) => call.policy === policy && call.coordinate === coordinate).length;
    expect(count('auditor', 'User.createdAt')).toBe(1);
    expect(count('tenantMember', 'Tenant.name')).toBe(1);
    expect(count('tenantMember', 'Tenant.plan')).toBe(1);
    // Arguments are part of the decision: u1 and u2 are two questions, u1 twice is one.
    expect(calls().filter((call) => call.policy === 'lookupAllowed').map((call) => call.args)).toEqual([{ id: 'u1' }, { id: 'u2' }]);
    // Alternatives are asked concurrently; whatever was asked, nothing was asked twice.
    const keys = calls().map((call) => `${call.policy} ${call.coordinate} ${JSON.stringify(call.args)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
