import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/configError.js';
import { readSupergraphFile } from '../../../src/sources/federation/buildSupergraphSchema.js';
import { buildSupergraphSubschemas } from '../../../src/sources/federation/buildSupergraphSubschemas.js';
import { scenarios } from '../../fixtures/federation/scenarios.js';
import {
  committedSupergraphPath,
  composeFixtureSupergraph,
  placeholderUrl,
} from '../../support/federationFixture.js';
import { federationGateway } from './federationGateway.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portico-supergraph-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('readSupergraphFile', () => {
  it('returns the SDL of a supergraph file', async () => {
    const path = committedSupergraphPath('shop');
    await expect(readSupergraphFile(path)).resolves.toBe(composeFixtureSupergraph('shop'));
  });

  it('names the file when it does not exist', async () => {
    const path = join(dir, 'missing.graphql');
    const read = readSupergraphFile(path);
    await expect(read).rejects.toBeInstanceOf(ConfigError);
    await expect(read).rejects.toThrow(`${path}: supergraph file not found`);
  });

  it('names the file, line and column when it does not parse', async () => {
    const path = join(dir, 'broken.graphql');
    await writeFile(path, 'type Query {\n  me: User\n');
    await expect(readSupergraphFile(path)).rejects.toThrow(
      `${path}: not valid GraphQL SDL (line 3, column 1): Syntax Error: Expected Name, found <EOF>.`,
    );
  });

  it('names the file when it is a subgraph SDL rather than a supergraph', async () => {
    const path = join(dir, 'accounts.graphql');
    await writeFile(path, scenarios.shop[0]!.sdl);
    await expect(readSupergraphFile(path)).rejects.toThrow(
      `${path}: not a supergraph: it declares no subgraphs (no join__Graph enum values with ` +
        '@join__graph); compose the subgraph SDLs into a supergraph first',
    );
  });
});

describe('buildSupergraphSubschemas', () => {
  it('asks for one executor per subgraph, by its composed name and URL', () => {
    const asked: { name: string; url: string }[] = [];
    const { subgraphs, subschemas } = buildSupergraphSubschemas({
      supergraphSdl: composeFixtureSupergraph('shop'),
      executorFor: (subgraph) => {
        asked.push(subgraph);
        return () => ({ data: null });
      },
    });
    const expected = ['accounts', 'inventory', 'products', 'reviews'].map((name) => ({
      name,
      url: placeholderUrl(name),
    }));
    expect(subgraphs).toEqual(expected);
    expect(asked).toEqual(expected);
    expect(subschemas.map((subschema) => subschema.name)).toEqual(['accounts', 'inventory', 'products', 'reviews']);
  });
});

describe('buildSupergraphSchema', () => {
  it('calls subgraphs through our transport: an unreachable one fails with SUBGRAPH_UNAVAILABLE at its field', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const gateway = federationGateway(
      composeFixtureSupergraph('shop', { products: 'http://127.0.0.1:9/graphql' }),
    );
    try {
      const { result } = await gateway.run(`{ topProducts { name } }`);
      expect(result).toEqual({
        data: null,
        errors: [
          expect.objectContaining({
            message: 'A data source is unavailable.',
            path: ['topProducts'],
            extensions: { code: 'SUBGRAPH_UNAVAILABLE', http: { status: 502 }, source: 'products' },
          }),
        ],
      });
    } finally {
      await gateway.close();
    }
  });
});
