import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { gql } from '../../support/portico.js';
import {
  entityAcrossSubgraphs,
  interfaceObject,
  requiresFields,
  unionAcrossSubgraphs,
} from '../../fixtures/federation/expectations.js';

// `portico serve --supergraph FILE` in front of two federations composed from real subgraph
// processes; the schema-level behaviour is specified in test/sources/federation.
const fixtures: FederationFixture[] = [];
const gateways: CliProcess[] = [];
const urls: Record<string, string> = {};

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-serve-'));
  for (const scenario of ['shop', 'media'] as const) {
    const fixture = await startFederationFixture(scenario);
    fixtures.push(fixture);
    const file = await fixture.writeSupergraphFile(dir);
    const gateway = runPortico(['serve', '--supergraph', file, '--port', '0']);
    gateways.push(gateway);
    urls[scenario] = (await gateway.waitForLine(/^supergraph (\S+)$/))[1]!;
  }
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await Promise.all(fixtures.map((fixture) => fixture.stop()));
});

describe('portico serve --supergraph', () => {
  const cases = {
    'resolves one entity across several subgraphs': entityAcrossSubgraphs,
    'resolves @requires fields': requiresFields,
    'resolves an entity interface completed by an @interfaceObject subgraph': interfaceObject,
    'resolves a union whose members come from different subgraphs': unionAcrossSubgraphs,
  };
  for (const [name, expectation] of Object.entries(cases)) {
    it(name, async () => {
      const { body } = await gql(urls[expectation.scenario]!, expectation.query);
      expect(body).toEqual({ data: expectation.data });
    });
  }

  it('exits with a clear message naming the file when it is not a supergraph', async () => {
    const gateway = runPortico(['serve', '--supergraph', 'schemas/users.graphql', '--port', '0']);
    const { code, stderr } = await gateway.exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/schemas\/users\.graphql: not a supergraph/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
