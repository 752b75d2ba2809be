import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPortico } from '../../support/cli.js';
import { repoRoot } from '../../support/portico.js';

// A REST source whose schema file is written with Apollo Connectors: a construct outside the
// supported subset stops `portico start` (exit 78, as for any config error) with the schema
// file, the field and the construct named, before anything listens.

const fixture = path.join(repoRoot, 'test', 'sources', 'rest', 'fixtures', 'products.connect.graphql');

async function configWithProductsSchema(sdl: string): Promise<{ config: string; schema: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'portico-connectors-'));
  await mkdir(path.join(root, 'bffs', 'shop'), { recursive: true });
  await mkdir(path.join(root, 'schemas'));
  const schema = path.join(root, 'schemas', 'products.connect.graphql');
  await writeFile(schema, sdl);
  await writeFile(
    path.join(root, 'sources.ts'),
    `export default { products: { kind: 'rest', baseUrl: 'http://127.0.0.1:9', schema: './schemas/products.connect.graphql' } };\n`,
  );
  await writeFile(path.join(root, 'bffs', 'shop', 'bff.config.ts'), `export default { name: 'shop', port: 0, sources: ['products'] };\n`);
  await writeFile(path.join(root, 'portico.config.ts'), `export default { sources: './sources.ts', bffs: ['./bffs/shop'] };\n`);
  return { config: path.join(root, 'portico.config.ts'), schema };
}

describe('portico start with an Apollo Connectors schema outside the supported subset', () => {
  it('exits with code 78, naming the schema file, the field and the construct', async () => {
    const sdl = (await readFile(fixture, 'utf8')).replace('http: { GET: "/products/{$args.id}" }', 'http: { PATCH: "/products/{$args.id}" }');
    const { config } = await configWithProductsSchema(sdl);
    const { code, stderr } = await runPortico(['start', '--config', config]).exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/schemas\/products\.connect\.graphql: Query\.product: @connect\(http: \{ PATCH \}\): not supported/);
    expect(stderr).not.toMatch(/\n\s+at /);
    // A real process: tsx compiles the CLI on start, which takes long on a shared two-core machine.
  }, 90_000);
});
