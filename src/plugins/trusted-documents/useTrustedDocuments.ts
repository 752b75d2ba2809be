import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { porticoError } from '../../errors/index.js';
import { hashDocument, normalizeDocumentId, type DocumentStore } from './documentStore.js';

export interface TrustedDocumentsOptions {
  /** The BFF's stored documents (its store file plus its REST route operations). */
  store: DocumentStore;
  /**
   * 'stored-only' refuses every document that is not stored; 'allow-ad-hoc' runs others too.
   * @default 'stored-only' (src/config/trustedDocumentsSchema.ts says why)
   */
  mode?: 'allow-ad-hoc' | 'stored-only';
}

interface PersistedParams extends GraphQLParams {
  documentId?: unknown;
}

/**
 * Trusted documents: clients send a stored document's id instead of its text, in either common
 * form — `extensions.persistedQuery: { version: 1, sha256Hash }` (APQ, Apollo and urql clients)
 * or `documentId` (GraphQL-over-HTTP's persisted-documents proposal, `sha256:` prefix optional;
 * on GET as a query parameter). In 'stored-only' mode nothing else runs: a document that is not
 * in the store is refused with PERSISTED_DOCUMENT_REQUIRED before it is even parsed, so an
 * attacker cannot make the gateway parse, validate or price a document of their own.
 *
 * A document sent as text that is byte for byte a stored one is accepted in both modes: it is
 * the same document, and this is how the BFF's own REST routes (src/partner-rest/) reach the
 * pipeline. Runs in `onParams`, before yoga checks the parameters and before parsing.
 */
export function useTrustedDocuments(options: TrustedDocumentsOptions): Plugin {
  const { store } = options;
  const storedOnly = (options.mode ?? 'stored-only') === 'stored-only';
  return {
    onParams({ params, setParams, request }) {
      const { documentId: bodyId, ...rest } = params as PersistedParams;
      const documentId = bodyId ?? (request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') ?? undefined : undefined);
      const apqHash = persistedQueryHash(params.extensions);
      if (documentId !== undefined && typeof documentId !== 'string') {
        throw porticoError('BAD_REQUEST', { message: 'documentId must be a string.' });
      }
      const id = documentId ?? apqHash;
      const query = typeof params.query === 'string' ? params.query : undefined;

      if (id === undefined) {
        if (query === undefined || !storedOnly || store.hasText(query)) return;
        throw porticoError('PERSISTED_DOCUMENT_REQUIRED');
      }
      const stored = store.get(id);
      if (stored !== undefined) {
        if (query !== undefined && query !== stored) {
          throw porticoError('BAD_REQUEST', { message: 'The document sent does not match the stored document with this id.' });
        }
        setParams({ ...rest, query: stored });
        return;
      }
      // APQ clients resend the text with its hash after a miss; when ad-hoc documents are allowed
      // that is simply a document sent as text, provided the hash really is the text's.
      if (query !== undefined && !storedOnly) {
        if (hashDocument(query) !== normalizeDocumentId(id)) {
          throw porticoError('BAD_REQUEST', { message: 'The sha256Hash does not match the document sent.' });
        }
        setParams(rest);
        return;
      }
      throw porticoError('PERSISTED_DOCUMENT_NOT_FOUND');
    },
  };
}

function persistedQueryHash(extensions: unknown): string | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return undefined;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1 || typeof sha256Hash !== 'string') {
    throw porticoError('BAD_REQUEST', { message: 'extensions.persistedQuery needs version 1 and a sha256Hash string.' });
  }
  return sha256Hash;
}
