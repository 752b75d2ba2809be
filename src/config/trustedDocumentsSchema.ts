import { z } from 'zod';

// Trusted (persisted) documents of a BFF (`trustedDocuments` in bffs/<name>/bff.config.ts);
// src/plugins/trusted-documents/useTrustedDocuments.ts applies it, docs/trusted-documents.md
// explains the client side.

export const trustedDocumentsSchema = z.strictObject({
  /**
   * The store file, relative to the BFF config file, as written by
   * `portico documents build <dir> --out <file>` (an Apollo persisted-query manifest; a flat
   * `{ "<sha256>": "<document>" }` map as GraphQL Code Generator emits is read too). The BFF's
   * REST route operations are always part of its store.
   */
  store: z.string().min(1).optional(),
  /**
   * 'stored-only' runs nothing but stored documents (sent by hash, or as text identical to a stored
   * one) and refuses any other with PERSISTED_DOCUMENT_REQUIRED; 'allow-ad-hoc' also runs other
   * documents, which is the migration step while clients learn to send hashes.
   * @default 'stored-only': a list of trusted documents that does not refuse the others protects
   * nothing.
   */
  mode: z.enum(['allow-ad-hoc', 'stored-only']).default('stored-only'),
});

export type TrustedDocumentsConfig = z.output<typeof trustedDocumentsSchema>;
