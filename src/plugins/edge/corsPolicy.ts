/** A BFF's CORS settings, as src/config/corsSchema.ts documents them. */
export interface CorsPolicyOptions {
  origins: readonly (string | RegExp)[];
  credentials: boolean;
  allowedHeaders: readonly string[];
  exposedHeaders: readonly string[];
  maxAgeSeconds: number;
}

export type OriginMatcher = (origin: string) => boolean;

/** Compiles the allowed origins once: exact strings, one-label `https://*.example.com` patterns, anchored RegExps. */
export function compileOrigins(origins: readonly (string | RegExp)[]): OriginMatcher {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const origin of origins) {
    if (origin instanceof RegExp) patterns.push(origin);
    else if (origin.includes('*')) patterns.push(new RegExp(`^${escape(origin).replace('\\*', '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?')}$`));
    else exact.add(origin);
  }
  return (origin) => exact.has(origin) || patterns.some((pattern) => pattern.test(origin));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The CORS headers of one answer. Every answer gets `Vary: Origin`, since whether it carries a
 * grant depends on the Origin header (a shared cache must not serve one origin's grant to
 * another). An origin off the list gets nothing else: no `Access-Control-Allow-Origin`, no
 * credentials, whatever it asks.
 */
export function corsHeaders(options: CorsPolicyOptions, allowed: OriginMatcher, origin: string | null, preflight: boolean): Record<string, string> {
  const headers: Record<string, string> = { Vary: preflight ? 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' : 'Origin' };
  if (origin === null || !allowed(origin)) return headers;
  headers['Access-Control-Allow-Origin'] = origin;
  if (options.credentials) headers['Access-Control-Allow-Credentials'] = 'true';
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = 'GET, POST';
    headers['Access-Control-Allow-Headers'] = options.allowedHeaders.join(', ');
    headers['Access-Control-Max-Age'] = String(options.maxAgeSeconds);
  } else if (options.exposedHeaders.length > 0) {
    headers['Access-Control-Expose-Headers'] = options.exposedHeaders.join(', ');
  }
  return headers;
}
