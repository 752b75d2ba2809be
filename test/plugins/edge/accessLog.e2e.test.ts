import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gql, repoRoot, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

const SECRET = 'access-log-test-secret-0123456789abcdef';
const SUBJECT = 'user-42@example.com';
const VARIABLE_VALUE = 'secret-value-8aa1';

let users: SubgraphHandle;
let portico: TestPortico;
const output: string[] = [];

async function token(claims: Record<string, unknown> = {}): Promise<string> {
  // An admin: the test reads other users' public profiles by id (usersByIds is owner-ruled, @owner).
  return new SignJWT({ tenant: 't-acme', plan: 'pro', scope: 'users:read', roles: ['admin'], ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('access-log-test')
    .setAudience('access-log')
    .setSubject(SUBJECT)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

/** Log lines written since `from`, parsed. */
function linesSince(from: number): Record<string, any>[] {
  return output.slice(from).map((line) => JSON.parse(line) as Record<string, any>);
}

beforeAll(async () => {
  users = await startSubgraph('users');
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-access-log-'));
  await mkdir(path.join(dir, 'bffs', 'app'), { recursive: true });
  await writeFile(
    path.join(dir, 'bffs', 'app', 'bff.config.ts'),
    `export default (env) => (${JSON.stringify({
      name: 'app',
      port: 0,
      sources: ['users'],
      auth: { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: 'access-log-test', audience: 'access-log' } },
    })});\n`,
  );
  const root = path.join(dir, 'portico.config.ts');
  await writeFile(root, `export default ${JSON.stringify({ sources: path.join(repoRoot, 'schemas/sources.ts'), bffs: ['./bffs/app'] })};\n`);
  const logger = pino({ level: 'info' }, { write: (line: string) => void output.push(line) });
  portico = await startTestPortico({ users }, { config: root, logger });
});
afterAll(async () => {
  await portico?.close(0);
  await users?.release();
});
beforeEach(async () => {
  await users.reset();
});

describe('the access log', () => {
  it('writes one line per request with id, BFF, operation, status, duration, subject hash, tenant and upstream calls', async () => {
    const from = output.length;
    const bearer = await token();
    const { status, headers } = await gql(
      portico.bff('app').url,
      'query Profile($id: ID!, $ids: [ID!]!) { user(id: $id) { name } usersByIds(ids: $ids) { name } }',
      { id: 'u1', ids: ['u2', VARIABLE_VALUE] },
      { authorization: `Bearer ${bearer}`, 'x-request-id': 'req-access-log-1' },
    );
    expect(status).toBe(200);
    expect(headers.get('x-request-id')).toBe('req-access-log-1');
    const requests = linesSince(from).filter((line) => line.msg === 'request');
    expect(requests).toHaveLength(1);
    const line = requests[0]!;
    expect(line).toMatchObject({
      requestId: 'req-access-log-1',
      bff: 'app',
      method: 'POST',
      path: '/graphql',
      operationName: 'Profile',
      operationType: 'query',
      status: 200,
      principal: 'jwt',
      subject: createHash('sha256').update(SUBJECT).digest('hex').slice(0, 16),
      tenant: 't-acme',
    });
    expect(line.durationMs).toBeGreaterThan(0);
    expect(line.cost).toBeGreaterThan(0);
    // Every upstream attempt, with its outcome, as many as the subgraph counted.
    const { requests: counted } = await users.stats();
    expect(line.upstream).toHaveLength(counted);
    for (const call of line.upstream) expect(call).toMatchObject({ source: 'users', status: 200 });
    expect(line.traceId).toBeUndefined();
  });

  it('never records a token, a variable value, the query text or the raw subject, even for a refused request', async () => {
    const from = output.length;
    const good = await token();
    const forged = `${good.slice(0, -6)}AAAAAA`;
    const query = 'query Lookup($ids: [ID!]!) { usersByIds(ids: $ids) { name } }';
    expect((await gql(portico.bff('app').url, query, { ids: [VARIABLE_VALUE] }, { authorization: `Bearer ${good}` })).status).toBe(200);
    expect((await gql(portico.bff('app').url, query, { ids: [VARIABLE_VALUE] }, { authorization: `Bearer ${forged}` })).status).toBe(401);
    const written = output.slice(from).join('');
    expect(linesSince(from).filter((line) => line.msg === 'request').map((line) => line.status)).toEqual([200, 401]);
    for (const part of [...good.split('.'), ...forged.split('.')]) expect(written).not.toContain(part);
    expect(written).not.toContain(VARIABLE_VALUE);
    expect(written).not.toContain('usersByIds');
    expect(written).not.toContain(SUBJECT);
    expect(written).not.toMatch(/bearer/i);
  });

  it('with tracing off (the default) forwards no traceparent and logs no trace id', async () => {
    const from = output.length;
    const { status } = await gql(portico.bff('app').url, '{ user(id: "u1") { name } }', undefined, {
      authorization: `Bearer ${await token()}`,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(status).toBe(200);
    expect(portico.tracing).toBeUndefined();
    const [recorded] = await users.requests();
    expect(recorded?.headers.traceparent).toBeUndefined();
    expect(linesSince(from).find((line) => line.msg === 'request')?.traceId).toBeUndefined();
  });
});
