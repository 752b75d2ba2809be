import type { Logger } from 'pino';
import { bffSchema } from '../config/schema.js';
import { buildSupergraphSchema, readSupergraphFile } from '../sources/federation/buildSupergraphSchema.js';
import { createGraphQLExecutor } from '../sources/graphql/httpExecutor.js';
import { buildPipeline } from '../pipeline/buildPipeline.js';
import { createHttpClient } from '../transport/httpClient.js';
import { createReadiness } from '../context/readiness.js';
import { startBffServer, type RunningBff } from '../server/createBffServer.js';

export interface ServeSupergraphOptions {
  file: string;
  port: number;
  host: string;
  logger: Logger;
  /**
   * The cost ceiling (`cost.maxCost` of a BFF). A supergraph rarely carries `@listSize`, so every
   * list is assumed to hold 10 items and an ordinary nested query can exceed the BFF default.
   * @default the BFF default (src/config/costSchema.ts)
   */
  maxCost?: number;
  /**
   * Execute through query plans cached per document, stitching only for what the planner does
   * not support (src/sources/federation/planner/).
   * @default true
   */
  queryPlanner?: boolean;
}

/**
 * `portico serve --supergraph FILE`: one gateway in front of an existing federation, with no
 * other config. It runs the same server and pipeline as a configured BFF.
 */
export async function serveSupergraph(options: ServeSupergraphOptions): Promise<RunningBff> {
  const supergraphSdl = await readSupergraphFile(options.file);
  const http = createHttpClient();
  const { schema, planner } = buildSupergraphSchema({
    supergraphSdl,
    executorFor: (subgraph) => createGraphQLExecutor({ source: subgraph.name, url: subgraph.url, http: http.call }),
    queryPlanner: options.queryPlanner ?? true,
    // Once per operation shape, never per request; the name only, no document text.
    onPlannerFallback: (reason, operationName) =>
      options.logger.debug({ operationName, reason }, 'operation runs by stitching: the query planner does not support it'),
  });
  const bff = {
    ...bffSchema.parse({
      name: 'supergraph',
      port: options.port,
      host: options.host,
      sources: ['supergraph'],
      // `serve` takes no auth config, so no caller can authenticate: the BFF default (fields
      // closed to anonymous callers) would refuse every request. The federation's subgraphs keep
      // whatever rules they enforce themselves, and its `@public`/`@auth` directives still apply.
      authz: { defaultPolicy: 'public' },
      ...(options.maxCost === undefined ? {} : { cost: { maxCost: options.maxCost } }),
    }),
    file: options.file,
  };
  const readiness = createReadiness();
  const pipeline = buildPipeline(bff, { logger: options.logger, readiness, planner });
  const running = await startBffServer({ bff, schema, ...pipeline, logger: options.logger, readiness });
  return {
    ...running,
    async close(graceMs) {
      const report = await running.close(graceMs);
      await http.close();
      return report;
    },
  };
}
