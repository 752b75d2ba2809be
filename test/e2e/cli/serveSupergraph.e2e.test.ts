import { once } from 'node:events';
import { connect as h2connect } from 'node:http2';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { gql } from '../../support/portico.js';
import { mergePayloads, readMultipart } from '../../support/multipartReader.js';
import { createTestCa, type TestCa } from '../../support/certificates.js';
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
let ca: TestCa;
let supergraphFile: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-serve-'));
  ca = createTestCa();
  for (const scenario of ['shop', 'media'] as const) {
    const fixture = await startFederationFixture(scenario);
    fixtures.push(fixture);
    const file = await fixture.writeSupergraphFile(dir);
    if (scenario === 'shop') supergraphFile = file;
    const gateway = runPortico(['serve', '--supergraph', file, '--port', '0']);
    gateways.push(gateway);
    urls[scenario] = (await gateway.waitForLine(/^supergraph (\S+)$/))[1]!;
  }
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await Promise.all(fixtures.map((fixture) => fixture.stop()));
  ca.dispose();
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

  it('answers @defer over multipart: a first payload without the deferred fields, payloads that add up to the whole answer (docs/defer-stream.md)', async () => {
    const query = '{ me { name ... @defer { reviews { body product { name price inStock } } } } }';
    const response = await fetch(urls['shop']!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824, application/json' },
      body: JSON.stringify({ query }),
    });
    const payloads: Record<string, unknown>[] = [];
    for await (const part of readMultipart(response)) payloads.push(part);
    expect(payloads[0]).toEqual({ data: { me: { name: 'Ada Lovelace' } }, hasNext: true });
    expect(mergePayloads(payloads)).toEqual({ data: entityAcrossSubgraphs.data, errors: [] });
    // Without incremental delivery: the same data in one answer.
    expect((await gql(urls['shop']!, query)).body).toEqual({ data: entityAcrossSubgraphs.data });
  });

  it('answers over HTTP/2 with TLS given --tls-cert and --tls-key', async () => {
    const { certFile, keyFile } = ca.issue('serve');
    const gateway = runPortico(['serve', '--supergraph', supergraphFile, '--port', '0', '--tls-cert', certFile, '--tls-key', keyFile]);
    gateways.push(gateway);
    const url = new URL((await gateway.waitForLine(/^supergraph (\S+)$/))[1]!);
    expect(url.protocol).toBe('https:');
    const session = h2connect(url.origin, { ca: ca.caPem });
    try {
      await once(session, 'remoteSettings');
      expect(session.alpnProtocol).toBe('h2');
      const stream = session.request({ ':method': 'POST', ':path': url.pathname, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ query: entityAcrossSubgraphs.query }));
      const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
      let body = '';
      stream.setEncoding('utf8');
      for await (const chunk of stream) body += chunk;
      expect(headers[':status']).toBe(200);
      expect(JSON.parse(body)).toEqual({ data: entityAcrossSubgraphs.data });
    } finally {
      session.close();
    }
  });

  it('exits with a clear message naming the file when it is not a supergraph', async () => {
    const gateway = runPortico(['serve', '--supergraph', 'schemas/users.graphql', '--port', '0']);
    const { code, stderr } = await gateway.exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/schemas\/users\.graphql: not a supergraph/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
