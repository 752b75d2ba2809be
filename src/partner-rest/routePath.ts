/** One segment of a route path: literal text, or a `:name` parameter. */
export type PathSegment = { literal: string } | { param: string };

export interface RoutePath {
  /** As configured: `/v1/orders/:id`. */
  template: string;
  /** The first segment: `v1`. */
  version: string;
  segments: PathSegment[];
  /** OpenAPI's spelling: `/v1/orders/{id}`. */
  openApiPath: string;
}

export function parseRoutePath(template: string): RoutePath {
  const parts = template.split('/').slice(1);
  const segments = parts.map((part): PathSegment => (part.startsWith(':') ? { param: part.slice(1) } : { literal: part }));
  return {
    template,
    version: parts[0]!,
    segments,
    openApiPath: `/${segments.map((s) => ('param' in s ? `{${s.param}}` : s.literal)).join('/')}`,
  };
}

/**
 * The parameter values when `pathname` matches the route, else undefined. Path segments are
 * percent-decoded once (so `/v1/orders/o%2F1` gives `o/1`, never a second segment); a segment
 * that does not decode does not match.
 */
export function matchRoutePath(route: RoutePath, segments: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== route.segments.length) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < segments.length; i += 1) {
    const expected = route.segments[i]!;
    const actual = segments[i]!;
    if ('literal' in expected) {
      if (actual !== expected.literal) return undefined;
      continue;
    }
    if (actual === '') return undefined;
    try {
      values[expected.param] = decodeURIComponent(actual);
    } catch {
      return undefined;
    }
  }
  return values;
}

/** `/v1/orders/o1` → `['v1', 'orders', 'o1']`; a trailing slash is not a different resource. */
export function splitPathname(pathname: string): string[] {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  return trimmed.split('/').slice(1);
}

/** The route's path with parameter values filled in (for `Link: <successor>` headers). */
export function fillRoutePath(route: RoutePath, values: Readonly<Record<string, string>>): string {
  return `/${route.segments.map((s) => ('param' in s ? encodeURIComponent(values[s.param] ?? '') : s.literal)).join('/')}`;
}
