import { createHash } from 'node:crypto';

/**
 * A strong ETag: the SHA-256 of the exact bytes sent, so equal tags mean byte-identical bodies
 * (RFC 9110 §8.8.1) whichever instance of the gateway produced them.
 */
export function strongEtag(body: string): string {
  return `"${createHash('sha256').update(body, 'utf8').digest('base64url')}"`;
}

/**
 * Whether `If-None-Match` matches the current ETag, with the weak comparison RFC 9110 §13.1.2
 * prescribes for this header: `W/` prefixes are ignored, `*` matches any current representation.
 */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  for (const candidate of trimmed.split(',')) {
    if (candidate.trim().replace(/^W\//, '') === opaque) return true;
  }
  return false;
}
