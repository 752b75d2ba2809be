import { readFile } from 'node:fs/promises';
import { GraphQLError, Kind, parse, type DocumentNode } from 'graphql';
import { stitchSchemas } from '@graphql-tools/stitch';
import type { Executor } from '@graphql-tools/utils';
import { ConfigError } from '../../config/configError.js';
import { createQueryPlanner, type ExecutableSchema, type QueryPlannerOptions } from './planner/queryPlanner.js';
import {
  buildSupergraphSubschemas,
  hideFederationInternals,
  type SupergraphSubschemasOptions,
} from './buildSupergraphSubschemas.js';

/**
 * The executable gateway schema for a supergraph, calling every subgraph through our executors.
 *
 * This is what `getStitchedSchemaFromSupergraphSdl` does (stitch, then hide internals), built
 * from the same two steps a BFF uses when it mixes the supergraph with other sources, plus, by
 * default, a query planner that runs the operations it supports without stitching's
 * per-request delegation (same executors, same answers).
 */
export function buildSupergraphSchema(options: SupergraphSchemaOptions): ExecutableSchema {
  const executors = new Map<string, Executor>();
  const { subgraphs: _subgraphs, ...stitching } = buildSupergraphSubschemas({
    supergraphSdl: options.supergraphSdl,
    executorFor(subgraph) {
      const executor = options.executorFor(subgraph);
      executors.set(subgraph.name, executor);
      return executor;
    },
  });
  const schema = hideFederationInternals(stitchSchemas(stitching));
  if (options.queryPlanner === false) return { schema };
  const planner = createQueryPlanner(schema, {
    supergraphSdl: options.supergraphSdl,
    executors,
    ...(options.onPlannerFallback ? { onFallback: options.onPlannerFallback } : {}),
    ...options.planner,
  });
  return { schema, planner };
}

export interface SupergraphSchemaOptions extends SupergraphSubschemasOptions {
  /**
   * Execute operations through query plans cached per document (planner/), falling back to
   * stitching for what the planner does not support. `false` executes everything by stitching.
   * @default true: same answers, with planning paid once per document instead of per request.
   */
  queryPlanner?: boolean;
  /** Told once per operation shape that falls back to stitching, and why. */
  onPlannerFallback?: (reason: string, operationName: string | undefined) => void;
  /** The planner's cache bounds, planning budget and progressive override (docs/query-planner.md). */
  planner?: Pick<QueryPlannerOptions, 'planCache' | 'planBudget' | 'overrideLabel'>;
}

/**
 * Reads a supergraph SDL file (as written by `rover supergraph compose` or `composeSupergraph`).
 * Checks it is one before returning, so a subgraph SDL passed by mistake fails here, naming the
 * file, rather than as a confusing planning error on the first query.
 */
export async function readSupergraphFile(path: string): Promise<string> {
  let sdl: string;
  try {
    sdl = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'supergraph file not found'
        : `supergraph file could not be read (${code ?? (error as Error).message})`;
    throw new ConfigError(path, '', problem);
  }
  let document: DocumentNode;
  try {
    document = parse(sdl);
  } catch (error) {
    const at = error instanceof GraphQLError ? error.locations?.[0] : undefined;
    const where = at ? ` (line ${at.line}, column ${at.column})` : '';
    throw new ConfigError(path, '', `not valid GraphQL SDL${where}: ${(error as Error).message}`);
  }
  if (!definesJoinGraphs(document)) {
    throw new ConfigError(
      path,
      '',
      'not a supergraph: it declares no subgraphs (no join__Graph enum values with @join__graph); ' +
        'compose the subgraph SDLs into a supergraph first',
    );
  }
  return sdl;
}

function definesJoinGraphs(document: DocumentNode): boolean {
  return document.definitions.some(
    (definition) =>
      definition.kind === Kind.ENUM_TYPE_DEFINITION &&
      definition.name.value === 'join__Graph' &&
      definition.values?.some((value) => value.directives?.some((d) => d.name.value === 'join__graph')),
  );
}
