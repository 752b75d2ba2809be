import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { TrafficConfig } from '../config/trafficSchema.js';
import type { UpstreamTlsMaterial } from '../config/upstreamTlsSchema.js';
import type { HttpCall, UpstreamRequest, UpstreamResponse } from './upstreamCall.js';
import { chooseVersion, type RoutingFacts } from './chooseVersion.js';
import { createShadowMirror, type ShadowMirror } from './createShadowMirror.js';
import { createRollbackJudge, type RollbackJudge, type RollbackVerdict } from './rollbackJudge.js';
import type { VersionMetrics } from './versionMetrics.js';

export interface VersionRouterOptions {
  /** The source's name, as its callers address it. */
  source: string;
  traffic: TrafficConfig;
  /**
   * The URL the source's callers send to (a GraphQL source's `url`, a REST source's `baseUrl`):
   * a call's URL starting with it is re-addressed to the chosen version's URL. Undefined for a
   * federation source's subgraph, whose calls all go to its one GraphQL endpoint: the version's
   * URL replaces the call's whole URL.
   */
  baseUrl: string | undefined;
  /** Each version's own transport chain (its own breaker, retry budget, fallback cache). */
  transportFor(version: string): HttpCall;
  /** The source's upstream TLS, which copies to a shadow use too (createShadowMirror.ts). */
  tls?: UpstreamTlsMaterial | undefined;
  logger: Logger;
  metrics?: VersionMetrics;
  /** Clock for the rollback window and call latency. @default Date.now */
  now?: () => number;
  /** Random source for weights of anonymous callers and for mirror and log sampling. @default Math.random */
  random?: () => number;
  /** Told of each rollback this router decides, for the fleet to follow (src/runtime/fleetRollbacks.ts). */
  onRollback?: (rollback: VersionRollback) => void;
}

/** A rollback as one instance tells the others of it. */
export interface VersionRollback {
  version: string;
  /**
   * Names the traffic block it was decided under (a hash of it): an instance whose block differs
   * (a reload not yet applied, or one that brought the version back) does not follow.
   */
  fingerprint: string;
  verdict: RollbackVerdict;
}

/** A version as `/readyz` and the operator see it. */
export interface VersionState {
  /** Percent of weighted requests it gets now (0 once rolled back; the primary takes the rest). */
  weight: number;
  state: 'serving' | 'rolled_back';
  /** When it was rolled back (ISO 8601) and the figures that decided it. */
  rolledBackAt?: string;
  rollback?: RollbackVerdict;
}

export interface VersionRouter {
  /** Routes one call to a version, and copies it to the shadow when the mirror picks it. */
  readonly call: HttpCall;
  /**
   * Applies a reloaded traffic block. An equal block keeps the state (a rolled-back version stays
   * out); a changed one starts over, which is how a rolled-back version comes back.
   */
  configure(traffic: TrafficConfig, baseUrl: string | undefined): void;
  /** Every version's weight and state. */
  state(): Record<string, VersionState>;
  /** Mirrored copies queued or in flight now. */
  mirrorsInFlight(): number;
  /**
   * Applies a rollback another instance decided, when it was decided under the traffic block in
   * force here; true when the version was serving here and is now rolled back.
   */
  follow(rollback: VersionRollback): boolean;
  /** Drops the shadow's connections (copies in flight are abandoned). */
  close(): Promise<void>;
}

/**
 * One source's versions: routes each call to the version `chooseVersion` picks, through that
 * version's own transport, judges non-primary versions against the primary (`rollbackJudge.ts`),
 * and copies a share of reads to a shadow version to compare answers. See docs/traffic.md.
 */
export function createVersionRouter(options: VersionRouterOptions): VersionRouter {
  const { source, transportFor, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let traffic = options.traffic;
  let baseUrl = options.baseUrl;
  let withdrawn = new Map<string, { at: number; verdict: RollbackVerdict }>();
  let judge: RollbackJudge | undefined;
  let mirror: ShadowMirror | undefined;
  let fingerprint = '';
  // Everything a call needs, resolved once per traffic block (start): per call, a route is a map
  // lookup at most, and a call with no rules and no weights does not even build the routing facts.
  let routes = new Map<string, Route>();
  let primaryRoute: Route;
  let routed = false;
  let shadowVersion: string | undefined;

  // Metric children bound once per version, across reloads: resolving labels per call is
  // measurable on every call (docs/traffic.md, "What a version costs a call").
  const series = new Map<string, RouteSeries>();
  const seriesOf = (version: string): RouteSeries | undefined => {
    let bound = series.get(version);
    if (!bound && metrics) {
      bound = { success: metrics.calls.labels({ source, version, outcome: 'success' }), error: metrics.calls.labels({ source, version, outcome: 'error' }), duration: metrics.callDuration.labels({ source, version }) };
      series.set(version, bound);
    }
    return bound;
  };

  const start = () => {
    withdrawn = new Map();
    fingerprint = createHash('sha256').update(JSON.stringify(traffic)).digest('hex').slice(0, 16);
    judge = traffic.rollback ? createRollbackJudge({ config: traffic.rollback, primary: traffic.primary, now }) : undefined;
    routes = new Map(Object.entries(traffic.versions).map(([version, url]) => [version, { version, url, call: transportFor(version), series: seriesOf(version) }]));
    primaryRoute = routes.get(traffic.primary)!;
    routed = traffic.rules.length > 0 || traffic.weights !== undefined;
    // Copies in flight to the previous shadow are abandoned: compared under a config that changed.
    void mirror?.close();
    shadowVersion = traffic.mirror?.version;
    const shadow = shadowVersion;
    mirror =
      traffic.mirror && shadow
        ? createShadowMirror({ source, config: traffic.mirror, tls: options.tls, logger, metrics, now, random, addressOf: (url) => readdress(url, routes.get(shadow)!.url) })
        : undefined;
    publishWeights();
  };

  const weights = (): Record<string, number> => {
    const result: Record<string, number> = Object.fromEntries(Object.keys(traffic.versions).map((version) => [version, 0]));
    const configured = traffic.weights ?? { [traffic.primary]: 100 };
    for (const [version, weight] of Object.entries(configured)) {
      const to = withdrawn.has(version) ? traffic.primary : version;
      result[to] = (result[to] ?? 0) + weight;
    }
    return result;
  };

  function publishWeights(): void {
    if (!metrics) return;
    for (const [version, weight] of Object.entries(weights())) {
      metrics.weight.set({ source, version }, weight);
      metrics.rolledBack.set({ source, version }, withdrawn.has(version) ? 1 : 0);
    }
  }

  // A GraphQL source's calls are all to its URL: the common case is one comparison, no new string.
  const readdress = (url: string, target: string): string => {
    if (baseUrl === undefined || url === baseUrl) return target;
    return url.startsWith(baseUrl) ? target + url.slice(baseUrl.length) : url;
  };

  const record = (route: Route, failed: boolean, latencyMs: number) => {
    const bound = route.series;
    if (bound) {
      (failed ? bound.error : bound.success).inc();
      bound.duration.observe(latencyMs / 1000);
    }
    if (!judge) return;
    const version = route.version;
    const verdict = judge.record(version, { failed, latencyMs });
    if (!verdict || withdrawn.has(version)) return;
    withdrawn.set(version, { at: now(), verdict });
    metrics?.rollbacks.inc({ source, version, reason: verdict.reason });
    publishWeights();
    logger.error(
      { source, version, reason: verdict.reason, figures: { version: verdict.version, primary: verdict.primary }, primary: traffic.primary },
      'version rolled back: it gets no calls until the traffic config changes',
    );
    options.onRollback?.({ version, fingerprint, verdict });
  };

  const call: HttpCall = async (request) => {
    // Without rules or weights every call goes to the primary (which is never withdrawn).
    const route = routed ? routes.get(chooseVersion(source, traffic, new CallFacts(request), withdrawn, random).version)! : primaryRoute;
    // Reads only; never a copy of the shadow's own call, nor to a shadow that was rolled back.
    const copy =
      mirror !== undefined && request.idempotent === true && route.version !== shadowVersion && (withdrawn.size === 0 || !withdrawn.has(shadowVersion!))
        ? mirror.offer(request, route.version)
        : undefined;
    const startedAt = now();
    let response: UpstreamResponse;
    try {
      response = await route.call({ ...request, url: readdress(request.url, route.url), version: route.version });
    } catch (error) {
      // A caller that went away says nothing about the version.
      if (!request.signal?.aborted) record(route, true, now() - startedAt);
      copy?.served(undefined);
      throw error;
    }
    record(route, response.status >= 500, now() - startedAt);
    copy?.served(response);
    return response;
  };

  start();
  return {
    call,
    configure(next, nextBaseUrl) {
      baseUrl = nextBaseUrl;
      if (isDeepStrictEqual(next, traffic)) return;
      traffic = next;
      start();
      logger.info({ source, versions: Object.keys(traffic.versions), weights: weights() }, 'traffic config applied');
    },
    state() {
      const current = weights();
      return Object.fromEntries(
        Object.keys(traffic.versions).map((version) => {
          const out = withdrawn.get(version);
          const state: VersionState = out
            ? { weight: 0, state: 'rolled_back', rolledBackAt: new Date(out.at).toISOString(), rollback: out.verdict }
            : { weight: current[version] ?? 0, state: 'serving' };
          return [version, state];
        }),
      );
    },
    mirrorsInFlight: () => mirror?.inFlight() ?? 0,
    follow(rollback) {
      const { version, verdict } = rollback;
      if (rollback.fingerprint !== fingerprint || version === traffic.primary || !(version in traffic.versions) || withdrawn.has(version)) return false;
      withdrawn.set(version, { at: now(), verdict });
      // Not counted in rollbacks_total: the instance that decided it counted it, once for the fleet.
      publishWeights();
      logger.error({ source, version, reason: verdict.reason, primary: traffic.primary }, 'version rolled back by another instance of the fleet: it gets no calls until the traffic config changes');
      return true;
    },
    close: async () => {
      await mirror?.close();
    },
  };
}

/** A version's metric children, bound once. */
interface RouteSeries {
  success: { inc(): void };
  error: { inc(): void };
  duration: { observe(value: number): void };
}

/** One version as a call uses it, resolved when a traffic block is applied. */
interface Route {
  version: string;
  /** The version's URL (a REST source's base URL). */
  url: string;
  /** The version's own transport chain. */
  call: HttpCall;
  series: RouteSeries | undefined;
}

/**
 * What routing may read of a call: the verified principal, and the client's headers for `header`
 * rules. A class, so a routed call costs one small object and no closure.
 */
class CallFacts implements RoutingFacts {
  readonly principal: RoutingFacts['principal'];
  constructor(private readonly request: UpstreamRequest) {
    this.principal = request.scope?.principal;
  }
  header(name: string): string | undefined {
    const value = this.request.scope?.requestHeaders?.[name];
    return Array.isArray(value) ? value[0] : value;
  }
}
