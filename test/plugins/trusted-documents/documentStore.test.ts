import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDocumentStore, hashDocument, normalizeDocumentId, parseStoreFile } from '../../../src/plugins/trusted-documents/documentStore.js';

const doc = 'query A { a }';
const sha = createHash('sha256').update(doc).digest('hex');

describe('the document store', () => {
  it('finds a document by the SHA-256 of its text, with or without the sha256: prefix, in any hex case', () => {
    const store = createDocumentStore([{ body: doc }]);
    expect(hashDocument(doc)).toBe(sha);
    expect(store.get(sha)).toBe(doc);
    expect(store.get(`sha256:${sha}`)).toBe(doc);
    expect(store.get(sha.toUpperCase())).toBe(doc);
    expect(store.get('0'.repeat(64))).toBeUndefined();
  });

  it('recognises a stored document sent as text only when it is byte for byte the same', () => {
    const store = createDocumentStore([{ body: doc }]);
    expect(store.hasText(doc)).toBe(true);
    expect(store.hasText(`${doc} `)).toBe(false);
  });

  it('reads an Apollo persisted-query manifest and a flat map of custom ids', () => {
    const manifest = parseStoreFile({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: sha, name: 'A', type: 'query', body: doc }] });
    expect(manifest).toEqual([{ id: sha, body: doc }]);
    const flat = createDocumentStore(parseStoreFile({ 'relay-42': doc }));
    expect(flat.get('relay-42')).toBe(doc);
    expect(flat.get(sha)).toBe(doc);
    expect(normalizeDocumentId('relay-42')).toBe('relay-42');
  });

  it.each([
    [[], 'expected a persisted-query manifest'],
    [{ format: 'apollo-persisted-query-manifest', version: 2, operations: [] }, 'unsupported manifest version 2'],
    [{ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'x' }] }, 'operations[0] needs a non-empty "id" and "body"'],
    [{ x: 42 }, '"x": expected the document text'],
  ])('refuses a malformed store file %j', (json, message) => {
    expect(() => parseStoreFile(json)).toThrow(message);
  });
});
