import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDocumentStore } from '../../../src/cli/buildDocumentStore.js';
import type { PersistedQueryManifest } from '../../../src/plugins/trusted-documents/documentStore.js';
import { runPortico } from '../../support/cli.js';
import { gql, startTestPortico, type GraphQLResponse, type TestPortico } from '../../support/portico.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// The store is built by the real CLI from fixtures/documents (as a frontend build emits them),
// then served by two catalogue BFFs (fixtures/): one stored-only, one allowing ad-hoc documents.

const fixtures = path.join(import.meta.dirname, 'fixtures');
let work: string;
let store: string;
let manifest: PersistedQueryManifest;
let products: SubgraphHandle;
let portico: TestPortico;
let storedOnly: string;
let adHoc: string;

const idOf = (name: string) => manifest.operations.find((operation) => operation.name === name)!.id;
const bodyOf = (name: string) => manifest.operations.find((operation) => operation.name === name)!.body;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'portico-documents-'));
  store = path.join(work, 'store.json');
  const [built, subgraph] = await Promise.all([
    runPortico(['documents', 'build', path.join(fixtures, 'documents'), '--out', store]).exited,
    startSubgraph('products'),
  ]);
  products = subgraph;
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout).toContain('wrote 2 documents');
  manifest = JSON.parse(await readFile(store, 'utf8')) as PersistedQueryManifest;
  portico = await startTestPortico({ products }, { config: path.join(fixtures, 'portico.config.ts'), env: { TRUSTED_STORE: store } });
  storedOnly = portico.bff('catalogue-stored-only').url;
  adHoc = portico.bff('catalogue-ad-hoc').url;
});
afterAll(async () => {
  await portico?.close(0);
  await products?.release();
  if (work) await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  await products.reset();
});

/** POSTs any GraphQL-over-HTTP body (gql() only sends `query`). */
async function post(url: string, body: Record<string, unknown>): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
}

const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('portico documents build', () => {
  it('stores each named operation with the fragments it uses, under the SHA-256 of its canonical text', async () => {
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.operations.map(({ name, type }) => [name, type])).toEqual([
      ['CataloguePage', 'query'],
      ['ProductDetail', 'query'],
    ]);
    const { createHash } = await import('node:crypto');
    for (const operation of manifest.operations) {
      expect(operation.id).toBe(createHash('sha256').update(operation.body).digest('hex'));
      expect(operation.body).toContain('fragment ProductCard on Product');
    }
  });

  it('refuses documents it cannot store, naming the file', async () => {
    const cases: [string, string, string][] = [
      ['Anonymous.graphql', '{ products { total } }', 'Anonymous.graphql: every operation needs a name'],
      ['Broken.graphql', 'query Broken { products {', 'Broken.graphql: Syntax Error'],
      ['Missing.graphql', 'query Missing { products { items { ...Nowhere } } }', 'Missing.graphql: Missing uses fragment Nowhere, which no file defines'],
      ['Schema.graphql', 'type Query { x: Int }', 'Schema.graphql: only operations and fragments belong in client documents'],
    ];
    for (const [file, text, message] of cases) {
      const documents = await mkdtemp(path.join(work, 'broken-'));
      await writeFile(path.join(documents, file), text);
      await expect(buildDocumentStore(documents)).rejects.toThrow(message);
    }
  });
});

describe('a BFF in stored-only mode', () => {
  it('refuses an ad-hoc document with PERSISTED_DOCUMENT_REQUIRED before any source is called', async () => {
    const { status, body } = await gql(storedOnly, '{ products(pageSize: 50) { items { id sku } } }');
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_REQUIRED');
    expect((await products.stats()).requests).toBe(0);
  });

  it('runs a stored document sent by its hash (extensions.persistedQuery)', async () => {
    const { status, body } = await post(storedOnly, { extensions: apq(idOf('CataloguePage')), variables: { page: 2 } });
    expect(status).toBe(200);
    expect(body.data).toEqual({
      products: {
        page: 2,
        items: [
          { id: 'p4', name: expect.any(String), priceCents: expect.any(Number) },
          { id: 'p5', name: expect.any(String), priceCents: expect.any(Number) },
          { id: 'p6', name: expect.any(String), priceCents: expect.any(Number) },
        ],
      },
    });
  });

  it('runs a stored document sent as documentId, with or without the sha256: prefix, over POST and GET', async () => {
    const id = idOf('ProductDetail');
    for (const documentId of [id, `sha256:${id}`]) {
      const { status, body } = await post(storedOnly, { documentId, variables: { id: 'p3' } });
      expect(status).toBe(200);
      expect(body.data?.product).toMatchObject({ id: 'p3' });
    }
    const url = `${storedOnly}?documentId=sha256:${id}&variables=${encodeURIComponent(JSON.stringify({ id: 'p4' }))}`;
    // A GET needs a header a cross-site page cannot send without a preflight (docs/security.md, CSRF).
    const response = await fetch(url, { headers: { accept: 'application/graphql-response+json', 'graphql-require-preflight': '1' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { product: { id: string } } }).data.product.id).toBe('p4');
  });

  it('runs a document sent as text when it is byte for byte a stored one', async () => {
    const { status, body } = await gql(storedOnly, bodyOf('ProductDetail'), { id: 'p1' });
    expect(status).toBe(200);
    expect(body.data?.product).toMatchObject({ id: 'p1' });
  });

  it('answers PERSISTED_DOCUMENT_NOT_FOUND for an id it does not hold, even with the document attached', async () => {
    const unknown = 'a'.repeat(64);
    expect((await post(storedOnly, { documentId: unknown })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
    const query = '{ products { total } }';
    const { createHash } = await import('node:crypto');
    const attached = await post(storedOnly, { query, extensions: apq(createHash('sha256').update(query).digest('hex')) });
    expect(attached.status).toBe(400);
    expect(attached.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
    expect((await products.stats()).requests).toBe(0);
  });

  it('refuses a stored id sent with a different document', async () => {
    const { status, body } = await post(storedOnly, { documentId: idOf('ProductDetail'), query: '{ products { total } }' });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });
});

describe('a BFF in allow-ad-hoc mode', () => {
  it('runs ad-hoc documents and stored ones by id', async () => {
    expect((await gql(adHoc, '{ products(pageSize: 1) { total } }')).body.data).toEqual({ products: { total: 30 } });
    const stored = await post(adHoc, { extensions: apq(idOf('ProductDetail')), variables: { id: 'p2' } });
    expect(stored.body.data?.product).toMatchObject({ id: 'p2' });
  });

  it('takes an APQ document with its own hash, and refuses a hash that is not the document’s', async () => {
    const query = '{ products(pageSize: 2) { page } }';
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(query).digest('hex');
    expect((await post(adHoc, { extensions: apq(hash) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
    expect((await post(adHoc, { query, extensions: apq(hash) })).body.data).toEqual({ products: { page: 1 } });
    const forged = await post(adHoc, { query, extensions: apq('b'.repeat(64)) });
    expect(forged.status).toBe(400);
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });
});
