import { isDeepStrictEqual } from 'node:util';
import type { PorticoConfig } from '../config/loadConfig.js';

/**
 * Why `next` cannot replace `current` without a restart, or undefined when it can.
 *
 * A reload swaps what each BFF serves (schema, sources, policies, resolvers, limits). What the
 * process itself is built around stays: the listeners (BFF names, hosts, ports, paths), the admin
 * listener, the Redis connections, the tracer, the fallback and response-cache stores and the
 * reload/fleet machinery.
 * A change to those is refused, with the key named, rather than half applied.
 */
export function reloadRefusal(current: PorticoConfig, next: PorticoConfig): string | undefined {
  const names = (config: PorticoConfig) => config.bffs.map((bff) => bff.name);
  if (!isDeepStrictEqual(names(current), names(next))) {
    return `the list of BFFs changed (${names(current).join(', ')} → ${names(next).join(', ')}); adding or removing a BFF needs a restart`;
  }
  for (const bff of next.bffs) {
    const before = current.bffs.find((candidate) => candidate.name === bff.name)!;
    for (const key of ['host', 'port', 'path'] as const) {
      if (before[key] !== bff[key]) return `${bff.name}.${key} changed (${before[key]} → ${bff[key]}); a listener change needs a restart`;
    }
    // The listener's protocol settings; rotated certificate files need no reload (they are watched).
    for (const key of ['tls', 'http2'] as const) {
      if (!isDeepStrictEqual(before[key], bff[key])) return `${bff.name}.${key} changed; a listener change needs a restart`;
    }
  }
  const processKeys = ['admin', 'redis', 'tracing', 'fallbackCache', 'responseCache', 'reload', 'fleet'] as const;
  for (const key of processKeys) {
    if (!isDeepStrictEqual(current[key], next[key])) return `"${key}" changed; it is set up once per process and needs a restart`;
  }
  return undefined;
}

/** True when the sources registry changed in a way the running transports cannot follow. */
export function sourcesChanged(current: PorticoConfig, next: PorticoConfig): boolean {
  const shape = (config: PorticoConfig) =>
    Object.fromEntries(Object.entries(config.sources).map(([name, source]) => [name, source.resilience]));
  return !isDeepStrictEqual(shape(current), shape(next));
}
