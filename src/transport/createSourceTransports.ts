import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { LoadedSource } from '../config/loadConfig.js';
import type { RedisConfig } from '../config/redisSchema.js';
import type { TrafficConfig } from '../config/trafficSchema.js';
import type { UpstreamTlsMaterial } from '../config/upstreamTlsSchema.js';
import type { FallbackCacheConfig, SourceResilience } from '../config/resilienceSchema.js';
import { createFallbackStores } from '../stores/fallback/createFallbackStores.js';
import type { FallbackStore } from '../stores/fallback/fallbackStore.js';
import { createSourceTransport, type SourceTransport } from './composeTransport.js';
import { createDeadlineSignals } from './deadlineSignals.js';
import type { HttpCall } from './httpClient.js';
import { consoleFeed, type ConsoleFeed } from '../observability/console/consoleFeed.js';
import { transportMetrics } from './transportMetrics.js';
import type { BreakerState } from './withBreaker.js';
import { createVersionRouter, type VersionRollback, type VersionRouter, type VersionState } from './createVersionRouter.js';
import { versionMetrics } from './versionMetrics.js';
import { parentSource } from './parentSource.js';

export interface SourceTransportsOptions {
  sources: Readonly<Record<string, LoadedSource>>;
  /** The shared pool's call, which every source's policies wrap. */
  http: HttpCall;
  fallbackCache?: FallbackCacheConfig | undefined;
  /** The fleet's Redis; used when `fallbackCache.store` is `redis`. */
  redis?: RedisConfig | undefined;
  logger: Logger;
  /** Clock for deadlines, retries and answer ages. @default Date.now */
  now?: () => number;
  /** Clock for the rollback windows of sources' versions (docs/traffic.md). @default `now` */
  rollbackClock?: () => number;
  /** The operator console's ring buffer. @default the process's (src/observability/console/) */
  feed?: ConsoleFeed;
  /** Identical concurrent reads share one pass through a source's chain (withSharedCalls.ts). @default true */
  shareCalls?: boolean;
}

export interface SourceHealth {
  breaker: BreakerState;
  /** For `source@version`: the version's weight and whether it was rolled back (docs/traffic.md). */
  version?: VersionState;
}

export interface SourceTransports {
  /**
   * The decorated call for a source, or for `source/subgraph` of a federation source (each
   * subgraph has its own breaker, budget and cache under its parent's settings). Created once
   * per name and shared by every BFF.
   */
  httpFor(name: string): HttpCall;
  /** Breaker state per transport name, optionally only those belonging to `sources`. */
  health(sources?: readonly string[]): Record<string, SourceHealth>;
  /** Calls `listener` on every breaker state change of any source. */
  onStateChange(listener: (source: string, state: BreakerState) => void): () => void;
  /** Calls `listener` on every rollback a version router here decides (`source` as routed: `users`, `shop/orders`). */
  onRollback(listener: (source: string, rollback: VersionRollback) => void): () => void;
  /** Applies a rollback another instance decided (createVersionRouter.ts `follow`); true when it changed anything. */
  followRollback(source: string, rollback: VersionRollback): boolean;
  /** Stops health checks, shuts the breakers down (timers, listeners), closes the stores. */
  close(): Promise<void>;
  /**
   * Takes a reloaded registry whose resilience settings are unchanged (else the transports are
   * rebuilt): sources' traffic rules change in place, and versions stay rolled back only if
   * their source's traffic block is unchanged.
   */
  retarget(sources: Readonly<Record<string, LoadedSource>>): void;
}

/** Builds and owns the transports of every source of a Portico instance. */
export function createSourceTransports(options: SourceTransportsOptions): SourceTransports {
  const { http, logger } = options;
  let sources = options.sources;
  const metrics = transportMetrics();
  // A source with versions answers through a router over one transport per version (`source@version`).
  const routers = new Map<string, VersionRouter>();
  const routedMetrics = versionMetrics();
  const feed = options.feed ?? consoleFeed();
  const transports = new Map<string, SourceTransport>();
  const fallbackStores = createFallbackStores({ config: options.fallbackCache, redis: options.redis, logger });
  // One rotation timer per distinct bucket length drives the rolling windows of all breakers.
  const rotators = new Map<number, { emitter: EventEmitter; timer: NodeJS.Timeout }>();
  const healthTimers: NodeJS.Timeout[] = [];
  const listeners = new Set<(source: string, state: BreakerState) => void>();
  const rollbackListeners = new Set<(source: string, rollback: VersionRollback) => void>();
  // One for every source: a request's calls to different subgraphs share deadline signals too.
  const deadlineSignals = createDeadlineSignals();

  function rotatorFor(resilience: SourceResilience): EventEmitter {
    const bucketMs = Math.max(1, Math.floor(resilience.breaker.rollingCountTimeoutMs / resilience.breaker.rollingCountBuckets));
    let rotator = rotators.get(bucketMs);
    if (!rotator) {
      const emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      const timer = setInterval(() => emitter.emit('rotate'), bucketMs);
      timer.unref();
      rotator = { emitter, timer };
      rotators.set(bucketMs, rotator);
    }
    return rotator.emitter;
  }

  function create(name: string): SourceTransport {
    const parent = sources[parentSource(name)];
    if (!parent) throw new Error(`no source named "${name}"`);
    const resilience = parent.resilience;
    // Resolved first, so a health check that cannot work fails start-up before any timer exists.
    // A version's transport is not probed: the probe knows only the source's own URL.
    const probe = resilience.healthCheck && !name.includes('@') ? probeTarget(name, parent, resilience.healthCheck.path) : undefined;
    const store: FallbackStore | undefined = resilience.fallback.enabled ? fallbackStores.forSource(resilience.fallback.maxBytes) : undefined;
    const transport = createSourceTransport({
      source: name,
      resilience,
      http,
      logger,
      metrics,
      feed,
      rotateBucketController: rotatorFor(resilience),
      deadlineSignals,
      ...(options.shareCalls === false ? { shareCalls: false } : {}),
      ...(store ? { store } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    transport.breaker.onStateChange((state) => {
      for (const listener of listeners) listener(name, state);
    });
    if (probe) startHealthCheck(name, parent, transport, probe);
    return transport;
  }

  function startHealthCheck(name: string, source: LoadedSource, transport: SourceTransport, target: ProbeTarget): void {
    const check = source.resilience.healthCheck!;
    const probe = async () => {
      try {
        const response = await http({
          ...target,
          source: name,
          signal: AbortSignal.timeout(Math.min(source.resilience.timeoutMs, check.intervalMs)),
        });
        if (response.status < 500) return;
      } catch {
        // Unreachable or too slow: the same verdict as a 5xx.
      }
      if (transport.breaker.state() !== 'open') {
        logger.warn({ source: name }, 'active health check failed: opening the circuit breaker');
        transport.breaker.trip();
      }
    };
    const timer = setInterval(() => void probe(), check.intervalMs);
    timer.unref();
    healthTimers.push(timer);
    void probe();
  }

  const transportCall = (name: string): HttpCall => {
    let transport = transports.get(name);
    if (!transport) {
      transport = create(name);
      transports.set(name, transport);
    }
    return transport.call;
  };

  // Per routed source, each version's transport by version name: made when the version first
  // appears (at start-up or a retarget), so /readyz lists it before its first call, and a call
  // only looks its version up.
  const versionTransports = new Map<string, Map<string, HttpCall>>();
  const addVersions = (name: string, versions: readonly string[]): ReadonlyMap<string, HttpCall> => {
    let byVersion = versionTransports.get(name);
    if (!byVersion) versionTransports.set(name, (byVersion = new Map()));
    for (const version of versions) if (!byVersion.has(version)) byVersion.set(version, transportCall(`${name}@${version}`));
    return byVersion;
  };

  const routerFor = (name: string): VersionRouter | undefined => {
    const routing = routingOf(name, sources);
    if (!routing) return undefined;
    const { traffic } = routing;
    let router = routers.get(name);
    if (!router) {
      const byVersion = addVersions(name, Object.keys(traffic.versions));
      router = createVersionRouter({
        source: name,
        traffic,
        baseUrl: routing.baseUrl,
        transportFor: (version) => {
          const call = byVersion.get(version);
          if (!call) throw new Error(`source ${name} has no version ${version}`);
          return call;
        },
        tls: routing.tls,
        logger,
        metrics: routedMetrics,
        onRollback: (rollback) => {
          for (const listener of rollbackListeners) listener(name, rollback);
        },
        ...((options.rollbackClock ?? options.now) ? { now: options.rollbackClock ?? options.now } : {}),
      });
      routers.set(name, router);
    }
    return router;
  };

  return {
    httpFor(name) {
      return routerFor(name)?.call ?? transportCall(name);
    },
    health(only) {
      const result: Record<string, SourceHealth> = {};
      for (const [name, transport] of transports) {
        if (only && !only.some((source) => name === source || name.startsWith(`${source}/`) || name.startsWith(`${source}@`))) continue;
        const [source, version] = name.split('@');
        const state = version === undefined ? undefined : routers.get(source!)?.state()[version];
        // A version a reload removed (or a source that lost its versions) is no longer reported.
        if (version !== undefined && !state) continue;
        result[name] = { breaker: transport.breaker.state(), ...(state ? { version: state } : {}) };
      }
      return result;
    },
    retarget(next) {
      sources = next;
      for (const [name, router] of routers) {
        const routing = routingOf(name, next);
        if (!routing) {
          void router.close();
          routers.delete(name);
          continue;
        }
        addVersions(name, Object.keys(routing.traffic.versions));
        router.configure(routing.traffic, routing.baseUrl);
      }
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onRollback(listener) {
      rollbackListeners.add(listener);
      return () => rollbackListeners.delete(listener);
    },
    followRollback(source, rollback) {
      return routers.get(source)?.follow(rollback) ?? false;
    },
    async close() {
      for (const timer of healthTimers) clearInterval(timer);
      for (const { timer } of rotators.values()) clearInterval(timer);
      for (const transport of transports.values()) transport.breaker.shutdown();
      listeners.clear();
      rollbackListeners.clear();
      await Promise.all([...routers.values()].map((router) => router.close()));
      await fallbackStores.close();
    },
  };
}

/**
 * The versions of a transport name, if it has any: a GraphQL or REST source's `traffic`, or a
 * federation source's `subgraphTraffic` entry for `source/subgraph`.
 */
function routingOf(name: string, sources: Readonly<Record<string, LoadedSource>>): { traffic: TrafficConfig; baseUrl: string | undefined; tls: UpstreamTlsMaterial | undefined } | undefined {
  const slash = name.indexOf('/');
  const source = sources[slash < 0 ? name : name.slice(0, slash)];
  if (!source) return undefined;
  switch (source.kind) {
    case 'graphql':
      return slash < 0 && source.traffic ? { traffic: source.traffic, baseUrl: source.url, tls: source.tlsMaterial } : undefined;
    case 'rest':
      return slash < 0 && source.traffic ? { traffic: source.traffic, baseUrl: source.baseUrl, tls: source.tlsMaterial } : undefined;
    case 'federation': {
      const traffic = slash < 0 ? undefined : source.subgraphTraffic?.[name.slice(slash + 1)];
      // A subgraph's calls all go to its one endpoint: the version's URL replaces the whole URL.
      return traffic ? { traffic, baseUrl: undefined, tls: source.tlsMaterial } : undefined;
    }
    case 'redis-events':
      return undefined;
  }
}

/** What an active health check calls: `{ __typename }` for GraphQL, `GET path` for REST. */
interface ProbeTarget {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function probeTarget(name: string, source: LoadedSource, path: string | undefined): ProbeTarget {
  const graphql = (url: string) => ({
    method: 'POST' as const,
    url,
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: '{"query":"{ __typename }"}',
  });
  switch (source.kind) {
    case 'graphql':
      return graphql(source.url);
    case 'rest':
      if (!path) throw new Error(`${source.name}: resilience.healthCheck.path is required for a REST source`);
      return { method: 'GET', url: source.baseUrl.replace(/\/+$/, '') + path, headers: { accept: 'application/json' } };
    case 'federation': {
      const subgraph = source.subgraphs?.find((s) => `${source.name}/${s.name}` === name);
      if (!subgraph) throw new Error(`${source.name}: resilience.healthCheck needs the subgraphs listed (not a supergraph file)`);
      return graphql(subgraph.url);
    }
    case 'redis-events':
      // No transport is ever made for it (it never asks for one), so nothing to probe.
      throw new Error(`${source.name}: a redis-events source has no upstream to health-check`);
  }
}
