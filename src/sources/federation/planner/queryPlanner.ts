import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Executor } from '@graphql-tools/utils';
import { createPlannedExecute, type ExecuteFn, type PlannedExecutionArgs } from './createPlannedExecute.js';
import { readSupergraphModel } from './supergraphModel.js';

/** Runs one operation through its cached plan, or through `fallback` (stitching) when it has none. */
export type QueryPlanner = (args: PlannedExecutionArgs, fallback: ExecuteFn) => unknown;

export interface QueryPlannerOptions {
  supergraphSdl: string | DocumentNode;
  /** The executor of each subgraph, by composed name: the ones the stitched schema calls. */
  executors: ReadonlyMap<string, Executor>;
  /** Told once per operation shape that falls back to stitching, and why (for a debug log). */
  onFallback?: (reason: string, operationName: string | undefined) => void;
}

const planners = new WeakMap<GraphQLSchema, QueryPlanner>();

/**
 * Lets `schema` (built from this supergraph alone, with no other source or resolver) be executed
 * through query plans: the server installs the planner as the execute function of its engine.
 * The schema travels with its planner through reloads because the planner is keyed by it.
 */
export function withQueryPlanner(schema: GraphQLSchema, options: QueryPlannerOptions): GraphQLSchema {
  const supergraph = typeof options.supergraphSdl === 'string' ? parse(options.supergraphSdl, { noLocation: true }) : options.supergraphSdl;
  const planner = createPlannedExecute({
    model: readSupergraphModel(supergraph),
    schema,
    executorFor(subgraph) {
      const executor = options.executors.get(subgraph);
      if (!executor) throw new Error(`no executor for subgraph ${subgraph}`);
      return executor;
    },
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
  });
  planners.set(schema, planner);
  return schema;
}

/** The planner `withQueryPlanner` gave this schema, if any. */
export function queryPlannerOf(schema: GraphQLSchema): QueryPlanner | undefined {
  return planners.get(schema);
}
