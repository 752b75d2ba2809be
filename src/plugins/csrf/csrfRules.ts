/**
 * Content types a browser sends cross-site without asking the server first (the CORS
 * "CORS-safelisted request-header" values of Content-Type). A POST with one of them, or with
 * none, reaches the server whatever its CORS policy says.
 */
const SIMPLE_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/**
 * True when a browser could have sent this request from another site without a preflight:
 * a non-GET/HEAD request whose content type is missing or simple. GET and HEAD are left alone
 * because the gateway runs only queries over GET (no side effects, and the response cannot be
 * read cross-site).
 */
export function couldBeCrossSite(method: string, contentType: string | null): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (contentType === null) return true;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === '' || SIMPLE_MEDIA_TYPES.has(mediaType);
}
