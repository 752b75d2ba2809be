import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Executor } from '@graphql-tools/utils';
import {
  createPlannedExecute,
  type ExecuteFn,
  type PlanCacheLimits,
  type PlannedExecutionArgs,
} from './createPlannedExecute.js';
import type { PlanBudget } from './normalizeOperation.js';
import { readSupergraphModel } from './supergraphModel.js';

/** Runs one operation through its cached plan, or through `fallback` (stitching) when it has none. */
export type QueryPlanner = ((args: PlannedExecutionArgs, fallback: ExecuteFn) => unknown) & {
  /**
   * Opens a subscription by plan (the root field's stream, the rest of the plan per event), or
   * through `fallback` (stitching's subscribe) when it cannot be planned. Absent: every
   * subscription is stitching's.
   */
  subscribe?: (args: PlannedExecutionArgs, fallback: ExecuteFn) => unknown;
};

export interface QueryPlannerOptions {
  supergraphSdl: string | DocumentNode;
  /** The executor of each subgraph, by composed name: the ones the stitched schema calls. */
  executors: ReadonlyMap<string, Executor>;
  /** Told once per operation shape that falls back to stitching, and why (for a debug log). */
  onFallback?: (reason: string, operationName: string | undefined) => void;
  /** Bounds of the plan cache (entries and estimated bytes). @default defaultPlanCacheLimits */
  planCache?: Partial<PlanCacheLimits>;
  /** What one operation may cost to plan before it is refused. @default defaultPlanBudget */
  planBudget?: Partial<PlanBudget>;
  /**
   * Whether a progressive `@override` label is on for this request.
   * @default percentLabels(): `percent(N)` is on for N % of requests, at random; any other label
   * is off, as in Apollo's router until something turns it on.
   */
  overrideLabel?: (label: string) => boolean;
}

/** A gateway schema and, when its operations can run by plan, the planner that runs them. */
export interface ExecutableSchema {
  schema: GraphQLSchema;
  /** Installed as the engine's execute function by the pipeline (src/plugins/execution/useQueryPlanner.ts). */
  planner?: QueryPlanner;
}

/**
 * The planner for `schema` (built from this supergraph alone, with no other source or resolver):
 * operations run through plans cached per document, with stitching as the fallback. It is handed
 * to the pipeline beside the schema, so a reload swaps both as one piece.
 */
export function createQueryPlanner(schema: GraphQLSchema, options: QueryPlannerOptions): QueryPlanner {
  const supergraph = typeof options.supergraphSdl === 'string' ? parse(options.supergraphSdl, { noLocation: true }) : options.supergraphSdl;
  return createPlannedExecute({
    model: readSupergraphModel(supergraph),
    schema,
    executorFor(subgraph) {
      const executor = options.executors.get(subgraph);
      if (!executor) throw new Error(`no executor for subgraph ${subgraph}`);
      return executor;
    },
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
    ...(options.planCache ? { planCache: options.planCache } : {}),
    ...(options.planBudget ? { planBudget: options.planBudget } : {}),
    ...(options.overrideLabel ? { overrideLabel: options.overrideLabel } : {}),
  });
}
