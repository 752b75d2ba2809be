import { createHash } from 'node:crypto';

/**
 * Trusted documents by id. Every document is reachable by the SHA-256 of its exact text (what
 * APQ clients send, and how a document sent as text is recognised as a stored one); a manifest
 * may also give it another id (a flat map keyed by a custom hash), reachable only as that id.
 */
export interface DocumentStore {
  /** The stored document for an id (`sha256:` prefix optional), or undefined. */
  get(id: string): string | undefined;
  /** True when `text` is, byte for byte, a stored document. */
  hasText(text: string): boolean;
  readonly size: number;
}

/** Lower-case hex SHA-256 of the document text, as APQ and `portico documents build` compute it. */
export function hashDocument(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Strips the `sha256:` prefix of GraphQL-over-HTTP `documentId`s; ids are compared lower-case. */
export function normalizeDocumentId(id: string): string {
  const bare = id.startsWith('sha256:') ? id.slice('sha256:'.length) : id;
  return /^[0-9A-Fa-f]{64}$/.test(bare) ? bare.toLowerCase() : bare;
}

/** One stored document: its text and, when the store file gave one, its id there. */
export interface StoreEntry {
  id?: string;
  body: string;
}

export function createDocumentStore(entries: Iterable<StoreEntry>): DocumentStore {
  const byId = new Map<string, string>();
  for (const { id, body } of entries) {
    byId.set(hashDocument(body), body);
    if (id !== undefined) byId.set(normalizeDocumentId(id), body);
  }
  return {
    get: (id) => byId.get(normalizeDocumentId(id)),
    hasText: (text) => byId.get(hashDocument(text)) === text,
    // eslint-disable-next-line no-restricted-syntax -- one store per BFF, made at start-up
    get size() {
      return byId.size;
    },
  };
}

/** One operation of an Apollo persisted-query manifest, the format `portico documents build` writes. */
export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

/**
 * Reads a store file's JSON: an Apollo persisted-query manifest (what the CLI writes; Apollo's
 * own tooling reads and writes it too) or a flat `{ id: document }` map (GraphQL Code Generator's
 * `persisted-documents.json`, Relay's `persisted_queries.json`). Throws naming what is wrong.
 */
export function parseStoreFile(json: unknown): StoreEntry[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('expected a persisted-query manifest or an object of { id: document }');
  }
  const record = json as Record<string, unknown>;
  if (record.format === 'apollo-persisted-query-manifest') {
    if (record.version !== 1) throw new Error(`unsupported manifest version ${JSON.stringify(record.version)} (expected 1)`);
    if (!Array.isArray(record.operations)) throw new Error('"operations" must be an array');
    return record.operations.map((operation: unknown, i) => {
      const { id, body } = (operation ?? {}) as Partial<ManifestOperation>;
      if (typeof id !== 'string' || !id || typeof body !== 'string' || !body) {
        throw new Error(`operations[${i}] needs a non-empty "id" and "body"`);
      }
      return { id, body };
    });
  }
  return Object.entries(record).map(([id, body]) => {
    if (typeof body !== 'string' || !body) throw new Error(`"${id.slice(0, 80)}": expected the document text`);
    return { id, body };
  });
}
