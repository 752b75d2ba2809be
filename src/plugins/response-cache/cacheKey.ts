import { createHash } from 'node:crypto';
import type { Principal } from '../../context/principal.js';
import type { CacheScope } from './collectCacheHints.js';

export interface CacheKeyInput {
  bff: string;
  /** SHA-256 of the printed (normalised) document. */
  documentHash: string;
  operationName: string | null | undefined;
  variables: Readonly<Record<string, unknown>> | null | undefined;
  scope: CacheScope;
  /** The verified caller; read only for PRIVATE entries. */
  principal: Principal;
  /**
   * Digest of the client headers the BFF's header rules forward to sources (docs/headers.md):
   * a source may answer differently per value (a language, a cookie), so entries are shared only
   * between requests that sent the same values. @default none: no rule forwards a client header
   */
  forwardedHeaders?: string | undefined;
}

/**
 * The cache key of one response: the BFF, the document, the operation, the variables and, for
 * PRIVATE responses, who the verified principal is (kind, tenant and subject; never anything
 * the client sent). Undefined when a PRIVATE response has no principal to key it by: an
 * anonymous caller's personalised answer is never cached, since anonymous callers would share it.
 *
 * The parts are JSON-encoded as one array before hashing, so no choice of values can make two
 * different inputs read the same (a subject containing a separator, say).
 */
export function cacheKey(input: CacheKeyInput): string | undefined {
  let who = '';
  if (input.scope === 'PRIVATE') {
    const { principal } = input;
    if (principal.kind === 'anonymous' || principal.subject === '') return undefined;
    who = JSON.stringify([principal.kind, principal.tenant ?? null, principal.subject]);
  }
  const parts = [input.bff, input.documentHash, input.operationName ?? null, stableJson(input.variables ?? {}), who];
  // Appended only when present, so keys without header rules stay what they were.
  if (input.forwardedHeaders !== undefined) parts.push(input.forwardedHeaders);
  const material = JSON.stringify(parts);
  return createHash('sha256').update(material).digest('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` share a key. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson(record[key])}`).join(',')}}`;
}
