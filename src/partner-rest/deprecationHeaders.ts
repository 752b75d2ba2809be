import type { RouteConfig } from '../config/routesSchema.js';
import { fillRoutePath, type RoutePath } from './routePath.js';

/**
 * Headers a deprecated route answers with: `Deprecation: @<epoch seconds>` (RFC 9745), `Sunset:
 * <HTTP-date>` (RFC 8594) and `Link: <successor>; rel="successor-version"` (RFC 5829) pointing at
 * the same resource on the successor route.
 */
export function deprecationHeaders(
  deprecated: NonNullable<RouteConfig['deprecated']>,
  successor: RoutePath | undefined,
  pathValues: Readonly<Record<string, string>>,
): Record<string, string> {
  const headers: Record<string, string> = { deprecation: `@${Math.floor(Date.parse(deprecated.since) / 1000)}` };
  if (deprecated.sunset) headers.sunset = new Date(Date.parse(deprecated.sunset)).toUTCString();
  if (successor) headers.link = `<${fillRoutePath(successor, pathValues)}>; rel="successor-version"`;
  return headers;
}
