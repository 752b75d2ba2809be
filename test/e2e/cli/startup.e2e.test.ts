import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPortico } from '../../support/cli.js';
import { gql, repoRoot } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

let dir: string;

/** A config folder: the repository's sources registry plus one BFF written by the test. */
async function configWith(bffSource: string): Promise<string> {
  const root = await mkdtemp(path.join(dir, 'cfg-'));
  await mkdir(path.join(root, 'bffs', 'only'), { recursive: true });
  await writeFile(path.join(root, 'bffs', 'only', 'bff.config.ts'), bffSource);
  await writeFile(
    path.join(root, 'portico.config.ts'),
    `export default { sources: ${JSON.stringify(path.join(repoRoot, 'schemas', 'sources.ts'))}, bffs: ['./bffs/only'] };\n`,
  );
  return path.join(root, 'portico.config.ts');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-startup-'));
});

describe('portico start with a broken config', () => {
  it('exits with code 78 and names the file and the key at fault', async () => {
    const config = await configWith(`export default { name: 'only', port: -5, sources: ['users'] };\n`);
    const { code, stderr } = await runPortico(['start', '--config', config]).exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/bffs\/only\/bff\.config\.ts: port: .*got -5/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('names an unknown source by its index in the sources list', async () => {
    const config = await configWith(`export default { name: 'only', port: 0, sources: ['users', 'billing'] };\n`);
    const { code, stderr } = await runPortico(['start', '--config', config]).exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/bffs\/only\/bff\.config\.ts: sources\[1\]: unknown source "billing"/);
  });

  it('outside demo mode, refuses a BFF without an identity-headers secret, naming the file and the key', async () => {
    const config = await configWith(`export default { name: 'only', port: 0, sources: ['users'] };\n`);
    const { code, stderr } = await runPortico(['start', '--config', config], { PORTICO_DEMO: '0' }).exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/bffs\/only\/bff\.config\.ts: auth\.identityHeaders\.secret: required outside demo mode/);
  });

  it('rejects a misspelt option instead of ignoring it', async () => {
    const config = await configWith(`export default { name: 'only', port: 0, sources: ['users'], hidden: ['User.email'] };\n`);
    const { code, stderr } = await runPortico(['start', '--config', config]).exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/bffs\/only\/bff\.config\.ts: .*hidden/);
  });
});

describe('portico start with an unreachable source', () => {
  let products: SubgraphHandle;
  afterAll(async () => products?.release());

  it('starts degraded: fields of the down source fail at their paths, the rest is served', async () => {
    // The catalogue and a user's public profile: fields an anonymous caller may read.
    products = await startSubgraph('products');
    const config = await configWith(`export default { name: 'only', port: 0, sources: ['users', 'products'] };\n`);
    // Nothing listens on port 9 (discard); users is unreachable from the first moment.
    const gateway = runPortico(['start', '--config', config], { USERS_URL: 'http://127.0.0.1:9/graphql', PRODUCTS_URL: products.url });
    try {
      const url = (await gateway.waitForLine(/^only\s+(\S+)$/))[1]!;
      const { status, body } = await gql(url, '{ product(id: "p1") { id } user(id: "u1") { id } }');
      expect(status).toBe(200);
      expect(body.data).toEqual({ product: { id: 'p1' }, user: null });
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.path).toEqual(['user']);
      expect(body.errors![0]!.extensions!.code).toBe('SUBGRAPH_UNAVAILABLE');
      // The client learns which source failed by name, never where it lives.
      expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    } finally {
      await gateway.stop();
    }
  });
});

describe('portico start', () => {
  it('prints every endpoint and exits 0 on SIGTERM', async () => {
    const config = await configWith(`export default { name: 'only', port: 0, sources: ['users'] };\n`);
    const gateway = runPortico(['start', '--config', config], { USERS_URL: 'http://127.0.0.1:9/graphql' });
    const url = (await gateway.waitForLine(/^only\s+(http:\/\/127\.0\.0\.1:\d+\/graphql)$/))[1]!;
    expect((await fetch(new URL('/healthz', url))).status).toBe(200);
    gateway.child.kill('SIGTERM');
    const { code, signal } = await gateway.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
