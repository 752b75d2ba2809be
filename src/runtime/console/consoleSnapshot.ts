import type { FeedSnapshot, SeriesSummary } from '../../observability/console/consoleFeed.js';

/**
 * What an instance tells the fleet about itself on each heartbeat (src/runtime/fleetRoster.ts),
 * and the fleet view shows.
 */
export interface InstanceSummary {
  /** Requests per second over the console's rate window, all BFFs together. */
  requestRate: number;
  errorRate: number;
  /** Sources whose breaker is not closed, with its state. */
  breakers: Record<string, string>;
  bffs: string[];
}

export interface RosterEntry extends InstanceSummary {
  instanceId: string;
  host: string;
  pid: number;
  startedAt: number;
  /** The fleet config version this instance has applied. */
  appliedVersion: number;
  /** Epoch ms of its last heartbeat (now, for this instance). */
  lastSeen: number;
  self: boolean;
  /** Silent for `staleAfterBeats` heartbeats, or behind the fleet's config version. */
  stale: boolean;
  reasons: string[];
}

/** What the console page receives on every update (one SSE `snapshot` event). */
export interface ConsoleSnapshot extends Omit<FeedSnapshot, 'sources'> {
  instanceId: string;
  configVersion: number;
  sources: (SeriesSummary & { breaker: string })[];
  /** Open subscriptions of the process (every BFF); absent when none of its BFFs can serve one, and the console hides it. */
  subscriptions?: number;
  /** Present only when the instance is in a fleet (a Redis is configured). */
  fleet?: RosterEntry[];
}

export interface SnapshotParts {
  feed: FeedSnapshot;
  instanceId: string;
  configVersion: number;
  /** The BFFs the config runs, shown even before their first request. */
  bffs: readonly string[];
  /** Every source's breaker now, as `/sources` reports it. */
  breakers: Readonly<Record<string, { breaker: string }>>;
  subscriptions?: number | undefined;
  fleet?: RosterEntry[] | undefined;
}

const empty = (name: string, at: number): SeriesSummary => ({
  name,
  requestRate: 0,
  errorRate: 0,
  totals: { requests: 0, errors: 0, fallbacks: 0, cacheLookups: 0, cacheHits: 0, rateLimited: 0 },
  points: [{ at, requests: 0, errors: 0, fallbacks: 0, p50: null, p99: null }],
});

/**
 * Joins the feed's windows with what the runtime knows now: every configured BFF and every
 * source's current breaker state (the feed only knows names that had traffic or transitions;
 * a source removed by a reload keeps its history until it leaves the window, without a breaker).
 */
export function consoleSnapshot(parts: SnapshotParts): ConsoleSnapshot {
  const { feed } = parts;
  const bffs = new Map(feed.bffs.map((summary) => [summary.name, summary]));
  for (const name of parts.bffs) if (!bffs.has(name)) bffs.set(name, empty(name, feed.at));
  const sources = new Map(feed.sources.map((summary) => [summary.name, summary]));
  for (const name of Object.keys(parts.breakers)) if (!sources.has(name)) sources.set(name, empty(name, feed.at));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  return {
    ...feed,
    instanceId: parts.instanceId,
    configVersion: parts.configVersion,
    bffs: [...bffs.values()].sort(byName),
    sources: [...sources.values()].map((summary) => ({ ...summary, breaker: parts.breakers[summary.name]?.breaker ?? 'removed' })).sort(byName),
    ...(parts.subscriptions !== undefined ? { subscriptions: parts.subscriptions } : {}),
    ...(parts.fleet ? { fleet: parts.fleet } : {}),
  };
}
