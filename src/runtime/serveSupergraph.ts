import type { Logger } from 'pino';
import { loadConfigFile, type Env } from '../config/loadConfig.js';
import { subgraphTrafficSchema } from '../config/trafficSchema.js';
import { readSupergraphFile } from '../sources/federation/buildSupergraphSchema.js';
import { startPortico, type Portico } from './startPortico.js';
import { supergraphConfig, type SupergraphConfigOptions } from './supergraphConfig.js';

export interface ServeSupergraphOptions extends Omit<SupergraphConfigOptions, 'supergraphSdl' | 'env'> {
  logger: Logger;
  /**
   * Identical subgraph reads in flight at once share one exchange (src/transport/inFlightDedup.ts).
   * @default true
   */
  dedupeInFlight?: boolean;
  /** OTEL_* tracing settings are read from here. @default {} */
  env?: Env;
  /**
   * `--traffic FILE`: subgraphs' versions, rules, rollback and mirroring by subgraph name, the
   * schema of a federation source's `subgraphTraffic` (JSON, or a module default-exporting it).
   * Re-read with the supergraph on a reload (SIGHUP). @default none
   */
  trafficFile?: string | undefined;
}

export interface ServedSupergraph {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  /** The Portico running it: breaker states, the admin listener when `adminPort` was given. */
  portico: Portico;
  close(graceMs?: number): Promise<void>;
}

/**
 * `portico serve --supergraph FILE`: one gateway in front of an existing federation, with no
 * config file. The flags become a config (src/runtime/supergraphConfig.ts) that `startPortico`
 * runs like any other: each subgraph behind the same transport chain as a BFF's sources (pool,
 * in-flight dedup, deadline, breaker, retry budget, fallback cache), the same pipeline, /readyz
 * with each subgraph's breaker, and `/metrics` on the admin port. docs/serve.md has the defaults.
 */
export async function serveSupergraph(options: ServeSupergraphOptions): Promise<ServedSupergraph> {
  const { logger, dedupeInFlight, env, trafficFile, ...flags } = options;
  // Read afresh on a reload: a changed rule or weight applies without a restart (docs/traffic.md).
  const load = async (fresh: boolean) => {
    const supergraphSdl = await readSupergraphFile(options.file);
    const traffic = trafficFile === undefined ? undefined : { file: trafficFile, subgraphs: await loadConfigFile(subgraphTrafficSchema, trafficFile, env ?? {}, { fresh }) };
    return supergraphConfig({ ...flags, supergraphSdl, env: env ?? {}, traffic });
  };
  const portico = await startPortico(await load(false), { logger, loadConfig: () => load(true), ...(dedupeInFlight === undefined ? {} : { httpClient: { dedupeInFlight } }) });
  return { url: portico.bffs[0]!.url, portico, close: (graceMs) => portico.close(graceMs) };
}
