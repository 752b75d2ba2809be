/**
 * Content types a browser sends cross-site without asking the server first (the CORS
 * "CORS-safelisted request-header" values of Content-Type). A POST with one of them, or with
 * none, reaches the server whatever its CORS policy says.
 */
const SIMPLE_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/**
 * True when a browser could have sent this request from another site without a preflight: any
 * request but OPTIONS whose content type is missing or simple. GET counts: a link or an image tag
 * sends one, and even a read-only query then runs with the victim's cookies (cross-site search,
 * timing leaks). A page can set `Content-Type: application/json` on a GET only through fetch,
 * which then asks for a preflight, so a JSON content type lets a GET through like a header does.
 */
export function couldBeCrossSite(method: string, contentType: string | null): boolean {
  if (method === 'OPTIONS') return false;
  if (contentType === null) return true;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === '' || SIMPLE_MEDIA_TYPES.has(mediaType);
}
